import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import SwitchboardTransport
import Testing

// Shared helpers of the Telegram, X and Twilio adapter tests.

/// One libcurl transport for every outbound test, as the gateway has one per process.
let socialTransport = CurlTransport(maxConnectionsPerHost: 4)

/// An adapter section as the config loader hands it over: scalar keys on consecutive lines.
func adapterSection(_ entries: KeyValuePairs<String, String>, env: [String: String] = [:]) -> (ConfigSection, ConfigDiagnostics) {
    let diagnostics = ConfigDiagnostics(file: "switchboard.yaml")
    let node = ConfigNode(
        .map(
            entries.enumerated().map { index, entry in
                (key: entry.key, keyLine: index + 2, value: ConfigNode(.scalar(entry.value), line: index + 2))
            }), line: 1)
    return (ConfigSection(node, path: "adapters[0]", diagnostics: diagnostics, environment: { env[$0] }), diagnostics)
}

/// Builds an adapter through its factory like the loader does (section finished afterwards) and
/// returns it with every problem reported.
func buildThroughFactory(
    _ factory: any ChannelAdapterFactory, id: String, _ entries: KeyValuePairs<String, String>, env: [String: String] = [:],
    publicURL: String = "https://sb.example.com"
) throws -> (adapter: any ChannelAdapter, problems: [String]) {
    let (section, diagnostics) = adapterSection(entries, env: env)
    let context = AdapterContext(
        logger: Logger(label: "test"), transport: socialTransport, publicURL: publicURL, environment: { env[$0] })
    let adapter = try factory.makeAdapter(id: id, config: section, context: context)
    section.finish()
    return (adapter, diagnostics.problems.map(\.description))
}

func hookRequest(
    _ method: String = "POST", path: String, rawQuery: String? = nil, headers: [(name: String, value: String)] = [],
    body: [UInt8] = []
) -> InboundRequest {
    var query: [String: String] = [:]
    for pair in (rawQuery ?? "").split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
        if let name = parts.first, query[name] == nil { query[name] = parts.count > 1 ? parts[1] : "" }
    }
    return InboundRequest(method: method, path: path, query: query, rawQuery: rawQuery, headers: headers, body: body)
}

extension InboundResult {
    var events: [InboundEvent] {
        if case .events(let events) = self { return events }
        return []
    }

    var messages: [InboundMessage] {
        events.compactMap { if case .message(let m) = $0 { m } else { nil } }
    }

    var edits: [(InboundMessage, Date?)] {
        events.compactMap { if case .edit(let m, let at) = $0 { (m, at) } else { nil } }
    }

    var statuses: [DeliveryStatusUpdate] {
        events.compactMap { if case .deliveryStatus(let s) = $0 { s } else { nil } }
    }

    /// The reasons of what the adapter deliberately did not pass on, in order.
    var ignoredReasons: [String] {
        events.compactMap { if case .ignored(let reason) = $0 { reason.code } else { nil } }
    }

    /// The events to be stored: everything but `.ignored`.
    var kept: [InboundEvent] {
        events.filter { if case .ignored = $0 { false } else { true } }
    }
}

/// Runs `body` and returns the ``InboundError`` it threw, or nil.
func inboundError(_ body: () async throws -> InboundResult) async -> InboundError? {
    do {
        _ = try await body()
        return nil
    } catch let error as InboundError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Runs `body` and returns the ``DeliveryFailure`` it threw, or nil.
func deliveryFailure(_ body: () async throws -> DeliveryReceipt) async -> DeliveryFailure? {
    do {
        _ = try await body()
        return nil
    } catch let failure as DeliveryFailure {
        return failure
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// The signature vectors of the corpus (`signatures/test_vectors.json`).
enum SignatureVectors {
    static func entries(_ platform: String) throws -> [JSONValue] {
        let document = try JSONValue.parse(try Corpus.file("signatures/test_vectors.json"))
        guard case .array(let items)? = document[pointer: "/\(platform)"] else { throw FakeAPIError("no vectors for \(platform)") }
        return items
    }
}

extension JSONValue {
    /// Members of an object as `[String: String]` (non-text values left out).
    var stringMembers: [String: String] {
        guard case .object(let members) = self else { return [:] }
        return members.compactMapValues(\.text)
    }
}

/// A platform API played by a real HTTP server (python3 on a free loopback port): it records
/// every request and answers with the scripted responses in turn (the last one repeats).
/// `GET /__requests` returns what it recorded.
final class FakeAPI: Sendable {
    struct Response: Encodable {
        var status: Int
        var headers: [String: String] = [:]
        var body: String

        init(status: Int, headers: [String: String] = [:], json: String) {
            self.status = status
            self.headers = headers.merging(["Content-Type": "application/json"]) { a, _ in a }
            self.body = json
        }
    }

    struct Recorded: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String

        /// Decoded with `JSONDecoder`, which keeps `true` apart from `1` on every platform.
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }
        var form: [String: String] {
            var out: [String: String] = [:]
            for pair in body.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                out[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return out
        }
    }

    let port: Int
    private let helper: SupportProcess

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` against a fresh server answering `responses`, and always stops it.
    static func with<T>(_ responses: [Response], _ body: (FakeAPI) async throws -> T) async throws -> T {
        let server = try await start(responses)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Everything the server received, in order.
    func requests() async throws -> [Recorded] {
        let response = try await socialTransport.send(HTTPRequest(method: "GET", url: baseURL + "/__requests"))
        return try JSONDecoder().decode([Recorded].self, from: Data(response.body))
    }

    private static func start(_ responses: [Response]) async throws -> FakeAPI {
        let helper = try await SupportProcess.start(
            "fake_platform_api.py", [String(decoding: try JSONEncoder().encode(responses), as: UTF8.self)])
        return FakeAPI(port: helper.int("port"), helper: helper)
    }

    private init(port: Int, helper: SupportProcess) {
        self.port = port
        self.helper = helper
    }

    private func stop() async {
        await helper.stop()
    }
}

struct FakeAPIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A loopback address nobody listens on: a port bound, read back, then closed.
func unusedLoopbackURL() throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FakeAPIError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw FakeAPIError("bind failed") }
    return "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
}
