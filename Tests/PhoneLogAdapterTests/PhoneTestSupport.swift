import Foundation
import Logging
import PhoneLogAdapter
import SwitchboardAdapterAPI
import Synchronization
import Testing

/// A config section as the loader hands it over: `entries` on consecutive lines; a value that is
/// a list or mapping is given as such.
func phoneSection(_ entries: [(String, ConfigNode.Value)], env: [String: String] = [:]) -> (ConfigSection, ConfigDiagnostics) {
    let diagnostics = ConfigDiagnostics(file: "switchboard.yaml")
    let node = ConfigNode(
        .map(
            entries.enumerated().map { index, entry in
                (key: entry.0, keyLine: index + 2, value: ConfigNode(entry.1, line: index + 2))
            }), line: 1)
    return (ConfigSection(node, path: "adapters[0]", diagnostics: diagnostics, environment: { env[$0] }), diagnostics)
}

func scalar(_ s: String) -> ConfigNode.Value { .scalar(s) }

func mapping(_ entries: [(String, String)]) -> ConfigNode.Value {
    .map(entries.map { (key: $0.0, keyLine: 1, value: ConfigNode(.scalar($0.1), line: 1)) })
}

func list(_ items: [String]) -> ConfigNode.Value {
    .list(items.map { ConfigNode(.scalar($0), line: 1) })
}

/// Builds a phone-log adapter through its factory like the loader does; returns the problems too.
/// Most tests post unsigned rows: unless `entries` say who may post (`secret_env`, `open`) or the
/// format is signed by Twilio, the hook is declared `open: true`, as an operator must.
func phoneAdapter(
    _ entries: [(String, ConfigNode.Value)], env: [String: String] = [:], transport: any HTTPTransport = CapturingTransport(),
    publicURL: String = "https://sb.example.com", id: String = "phone"
) throws -> (adapter: PhoneLogAdapter, problems: [String]) {
    var entries = entries
    let keys = Set(entries.map(\.0))
    let twilio = entries.contains { if $0.0 == "format", case .scalar("twilio-voice") = $0.1 { true } else { false } }
    if keys.isDisjoint(with: ["secret_env", "open"]), !twilio {
        entries.append(("open", .scalar("true")))
    }
    let (section, diagnostics) = phoneSection(entries, env: env)
    let context = AdapterContext(logger: Logger(label: "test"), transport: transport, publicURL: publicURL, environment: { env[$0] })
    let adapter = try PhoneLogAdapterFactory().makeAdapter(id: id, config: section, context: context)
    section.finish()
    return (try #require(adapter as? PhoneLogAdapter), diagnostics.problems.map(\.description))
}

func post(_ body: [UInt8], type: String = "text/csv", path: String = "/hooks/phone", headers: [(name: String, value: String)] = []) -> InboundRequest
{
    InboundRequest(method: "POST", path: path, headers: [("Content-Type", type)] + headers, body: body)
}

extension InboundBatch {
    var messages: [InboundMessage] {
        events.compactMap { if case .message(let m) = $0 { m } else { nil } }
    }
}

/// Records what an adapter sends and answers with a canned response.
final class CapturingTransport: HTTPTransport {
    private let sent = Mutex<[HTTPRequest]>([])
    private let answer: @Sendable (HTTPRequest) throws -> HTTPResponse

    init(answer: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse = { _ in HTTPResponse(status: 200, body: Array(#"{"id":"call-1"}"#.utf8)) })
    {
        self.answer = answer
    }

    var requests: [HTTPRequest] { sent.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        sent.withLock { $0.append(request) }
        return try answer(request)
    }
}
