import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport

// Shared helpers of the Meta adapter tests. Every name starts with `Meta`/`meta`: other adapters'
// tests live in the same test target.

/// Secrets and builders for adapters under test.
enum MetaTestKit {
    static let appSecret = "meta-test-app-secret"
    static let verifyToken = "meta-test-verify-token"
    static let accessToken = "meta-test-access-token"

    /// The environment the `*_env` keys of ``whatsAppConfig`` and ``pageConfig`` name.
    static func environment(appSecret: String = appSecret, verifyToken: String = verifyToken) -> @Sendable (String) -> String? {
        { name in
            switch name {
            case "META_APP_SECRET": appSecret
            case "META_VERIFY_TOKEN": verifyToken
            case "META_ACCESS_TOKEN": accessToken
            default: nil
            }
        }
    }

    static let secretKeys: [(String, String)] = [
        ("access_token_env", "META_ACCESS_TOKEN"), ("app_secret_env", "META_APP_SECRET"), ("verify_token_env", "META_VERIFY_TOKEN"),
    ]

    /// A config section as the loader would hand it over; every pair on its own line.
    static func section(
        _ pairs: [(String, String)], environment: @escaping @Sendable (String) -> String? = environment()
    ) -> (ConfigSection, ConfigDiagnostics) {
        let diagnostics = ConfigDiagnostics(file: "meta.yaml")
        let node = ConfigNode(
            .map(
                pairs.enumerated().map { index, pair in
                    (key: pair.0, keyLine: index + 2, value: ConfigNode(.scalar(pair.1), line: index + 2))
                }), line: 1)
        return (ConfigSection(node, path: "adapters[0]", diagnostics: diagnostics, environment: environment), diagnostics)
    }

    static func whatsApp(
        phoneNumberID: String = "1122334455667", template: String? = "order_update", apiBase: String? = nil,
        appSecret: String = appSecret, verifyToken: String = verifyToken, transport: any HTTPTransport = MetaNoTransport()
    ) -> WhatsAppAdapter {
        var pairs = [("phone_number_id", phoneNumberID)] + secretKeys
        if let template { pairs.append(("template", template)) }
        if let apiBase { pairs.append(("api_base", apiBase)) }
        let (section, _) = section(pairs, environment: environment(appSecret: appSecret, verifyToken: verifyToken))
        let adapter = WhatsAppAdapter(id: "wa", settings: WhatsAppSettings(config: section), transport: transport)
        section.finish()
        return adapter
    }

    static func page(
        _ platform: MessengerPlatform, pageID: String = "106000000000001", apiBase: String? = nil,
        appSecret: String = appSecret, verifyToken: String = verifyToken, transport: any HTTPTransport = MetaNoTransport()
    ) -> MessengerAdapter {
        var pairs = [("page_id", pageID)] + secretKeys
        if let apiBase { pairs.append(("api_base", apiBase)) }
        let (section, _) = section(pairs, environment: environment(appSecret: appSecret, verifyToken: verifyToken))
        let adapter = MessengerAdapter(
            id: platform.rawValue, settings: MessengerSettings(platform: platform, config: section), transport: transport)
        section.finish()
        return adapter
    }

    /// A webhook POST signed like Meta signs it.
    static func post(_ body: [UInt8], secret: String = appSecret) -> InboundRequest {
        InboundRequest(
            method: "POST", path: "/hooks/meta",
            headers: [("Content-Type", "application/json"), (MetaSignature.header, MetaSignature.sign(body, secret: secret))],
            body: body)
    }

    /// Signs and decodes `body`; fails the test (by throwing) if the adapter refuses it.
    static func events(_ adapter: some ChannelAdapter, _ body: [UInt8]) async throws -> [InboundEvent] {
        guard case .events(let events) = try await adapter.receive(post(body)) else {
            throw MetaTestFailure("expected events, got a direct answer")
        }
        return events
    }

    static func events(_ adapter: some ChannelAdapter, file: String) async throws -> [InboundEvent] {
        try await events(adapter, try Corpus.file(file))
    }

    /// Every file under a corpus folder, recursively, as paths relative to the corpus root.
    static func corpusFiles(under folder: String) throws -> [String] {
        let root = Corpus.root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw MetaTestFailure("corpus folder \(root.path) not found (set SWITCHBOARD_CORPUS)")
        }
        var found: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            found.append(folder + "/" + url.path.dropFirst(root.path.count + 1))
        }
        return found.sorted()
    }

    /// A WhatsApp adapter for the phone number a webhook body is addressed to (its first
    /// `metadata.phone_number_id`), as the operator of that number would configure it.
    static func whatsApp(for body: [UInt8]) -> WhatsAppAdapter {
        let number = (try? JSONValue.parse(body))?[pointer: "/entry/0/changes/0/value/metadata/phone_number_id"]?.text
        return whatsApp(phoneNumberID: number ?? "1122334455667")
    }

    /// The JSON document of a corpus file.
    static func json(_ file: String) throws -> JSONValue {
        try JSONValue.parse(try Corpus.file(file))
    }
}

struct MetaTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// For inbound tests: nothing may be sent.
struct MetaNoTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        throw TransportError("inbound tests must not send anything (tried \(request.url))")
    }
}

extension Array where Element == InboundEvent {
    var metaMessages: [InboundMessage] {
        compactMap { if case .message(let m) = $0 { m } else { nil } }
    }

    var metaStatuses: [DeliveryStatusUpdate] {
        compactMap { if case .deliveryStatus(let s) = $0 { s } else { nil } }
    }

    var metaEdits: [(message: InboundMessage, editedAt: Date?)] {
        compactMap { if case .edit(let m, let at) = $0 { (m, at) } else { nil } }
    }

    /// The reasons of what was deliberately not passed on, in order.
    var metaIgnored: [String] {
        compactMap { if case .ignored(let reason) = $0 { reason.code } else { nil } }
    }

    /// Everything to be stored (all but `.ignored`).
    var metaKept: [InboundEvent] {
        filter { if case .ignored = $0 { false } else { true } }
    }
}

/// A real HTTP/1.1 server on a free loopback port, run by python3, playing the Graph API: each
/// `POST` path answers as configured (`{n}` in a body becomes the request's number) and every
/// request is recorded; `GET /_requests` lists them.
final class MetaGraphServer: Sendable {
    struct Route: Encodable {
        var status: Int
        var body: String
        var headers: [String: String] = [:]
    }

    /// One recorded request.
    struct Recorded {
        var path: String
        var headers: [String: String]
        var body: String
        /// The body parsed as JSON.
        var json: JSONValue?
    }

    let port: Int
    private let helper: SupportProcess

    static func start(routes: [String: Route]) async throws -> MetaGraphServer {
        let helper = try await SupportProcess.start(
            "fake_graph_api.py", [String(decoding: try JSONEncoder().encode(routes), as: UTF8.self)])
        return MetaGraphServer(port: helper.int("port"), helper: helper)
    }

    private init(port: Int, helper: SupportProcess) {
        self.port = port
        self.helper = helper
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// What the server received so far, in order.
    func received(using transport: any HTTPTransport) async throws -> [Recorded] {
        let response = try await transport.send(HTTPRequest(method: "GET", url: baseURL + "/_requests"))
        let list = try JSONValue.parse(response.body)
        guard case .array(let items) = list else { throw MetaTestFailure("bad /_requests answer") }
        return items.map { item in
            var headers: [String: String] = [:]
            if case .object(let h)? = item[pointer: "/headers"] {
                for (name, value) in h { headers[name] = value.text }
            }
            let body = item[pointer: "/body"]?.text ?? ""
            return Recorded(path: item[pointer: "/path"]?.text ?? "", headers: headers, body: body, json: try? JSONValue.parse(Array(body.utf8)))
        }
    }

    func stop() async {
        await helper.stop()
    }

    /// Runs `body` against a fresh server and always stops it.
    static func with<T>(routes: [String: Route], _ body: (MetaGraphServer) async throws -> T) async throws -> T {
        let server = try await start(routes: routes)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

func metaUnusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw MetaTestFailure("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
            bind(fd, sockaddr, length) == 0 && getsockname(fd, sockaddr, &length) == 0
        }
    }
    guard bound else { throw MetaTestFailure("bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
