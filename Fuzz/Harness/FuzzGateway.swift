import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore

/// Builds adapters the way the gateway does: a configuration file read by ``ConfigLoader`` and each
/// adapter made by its factory, so a target fuzzes exactly what an operator's configuration runs.
public enum FuzzGateway {
    /// Every secret a `*_env` key names resolves to this value (long enough for any entropy check).
    public static let secret = "fuzz-secret-0123456789abcdef0123456789abcdef"

    /// What the adapters see as the gateway's public URL (Twilio signs over it).
    public static let publicURL = "https://switchboard.example.com"

    /// The environment every target's configuration reads its secrets from.
    public static let environment: @Sendable (String) -> String? = { _ in secret }

    /// The context a factory gets: nothing is ever sent (unless `transport` answers), the logs are dropped.
    public static func context(transport: any HTTPTransport = OfflineTransport()) -> AdapterContext {
        AdapterContext(
            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }), transport: transport,
            publicURL: publicURL, mail: OfflineMail(), environment: environment)
    }

    /// The adapters of `adapters` (the YAML list under `adapters:`, indented by two spaces), in order.
    /// A configuration the loader refuses stops the target with the loader's problems: a fuzz
    /// target that silently fuzzed nothing would be worse than none.
    public static func adapters(
        _ adapters: String, factories: [any ChannelAdapterFactory], transport: any HTTPTransport = OfflineTransport()
    ) -> [any ChannelAdapter] {
        Self.adapters(firstAccepted: [adapters], factories: factories, transport: transport)
    }

    /// The adapters of the first of `variants` the loader accepts: for a hook whose keys are
    /// changing (a proof of the sender that an older build does not know yet).
    public static func adapters(
        firstAccepted variants: [String], factories: [any ChannelAdapterFactory], transport: any HTTPTransport = OfflineTransport()
    ) -> [any ChannelAdapter] {
        var refusals: [String] = []
        for adapters in variants {
            let yaml = """
                server: { host: 127.0.0.1, port: 8080, public_url: "\(publicURL)" }
                storage: { sqlite: fuzz.sqlite }
                agents:
                  - { id: ana, name: Ana, teams: [support], token_env: FUZZ_TOKEN }
                adapters:
                \(adapters)
                """
            let path = temporaryPath("switchboard-fuzz")
            _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                let (_, registered) = try ConfigLoader.load(
                    path: path, factories: factories, context: context(transport: transport), environment: environment)
                return registered.map(\.adapter)
            } catch {
                refusals.append("\(error)\n---\n\(yaml)")
            }
        }
        fatalError("the fuzz target's configuration is refused (fix its harness in Fuzz/Harness/Targets/):\n\(refusals.joined(separator: "\n===\n"))")
    }

    /// The configuration text of a target's input, as `check-config` would read it.
    public static func load(
        configText: [UInt8], factories: [any ChannelAdapterFactory], providers: [any ContextProviderFactory]
    ) -> FuzzOutcome {
        let path = temporaryPath("switchboard-fuzz-input")
        _ = FileManager.default.createFile(atPath: path, contents: Data(configText))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try? ConfigLoader.load(
            path: path, factories: factories, providerFactories: providers, context: context(), environment: environment)
        return .configuration(accepted: loaded != nil)
    }

    /// A file name of this process and call: the seed replay test runs harnesses side by side.
    private static func temporaryPath(_ prefix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(getpid())-\(UUID().uuidString).yaml").path
    }

    /// Hands `request` to `adapter` as the gateway's hook route does; refusals are expected.
    /// With `FUZZ_TRACE=1` each outcome is printed, to check that inputs reach the decoder (a 401
    /// for every seed means the target's signing no longer matches the adapter).
    @discardableResult
    public static func receive(_ adapter: any ChannelAdapter, _ request: InboundRequest) -> FuzzOutcome {
        let outcome = fuzzBlocking { () -> FuzzOutcome in
            do {
                switch try await adapter.receive(request) {
                case .events(let events): return .events(events.count)
                case .respond(let status, _, _): return .answered(status: status)
                }
            } catch let error as InboundError {
                return .refused(status: error.status, reason: String(error.reason.prefix(120)))
            } catch {
                return .failed("\(error)")
            }
        }
        if trace { FileHandle.standardError.write(Data("\(adapter.id) \(request.method): \(outcome)\n".utf8)) }
        return outcome
    }

    /// Sends `reply` through `adapter`, as the outbox does; failures are expected.
    @discardableResult
    public static func deliver(_ reply: OutboundMessage, through adapter: any ChannelAdapter) -> FuzzOutcome {
        let outcome = fuzzBlocking { () -> FuzzOutcome in
            do {
                _ = try await adapter.deliver(reply)
                return .delivered
            } catch let failure as DeliveryFailure {
                return .notDelivered(permanent: failure.permanent)
            } catch {
                return .failed("\(error)")
            }
        }
        if trace { FileHandle.standardError.write(Data("\(adapter.id) deliver: \(outcome)\n".utf8)) }
        return outcome
    }

    private static let trace = ProcessInfo.processInfo.environment["FUZZ_TRACE"] == "1"
}

/// A transport that sends nothing: decoding never calls out (the adapter contract), and a target
/// that did would fail here instead of reaching the network.
public struct OfflineTransport: HTTPTransport {
    public init() {}

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        throw TransportError("fuzzing sends nothing")
    }
}

/// Mail that is neither sent nor fetched.
struct OfflineMail: MailTransport {
    func send(_ message: Data, from: String, to recipients: [String], account: MailAccount) async throws(MailTransportError) {
        throw MailTransportError("fuzzing sends nothing")
    }
    func unseenMessages(account: MailAccount) async throws(MailTransportError) -> [UInt32] { [] }
    func fetchMessage(uid: UInt32, account: MailAccount) async throws(MailTransportError) -> Data {
        throw MailTransportError("fuzzing fetches nothing")
    }
    func markSeen(uid: UInt32, account: MailAccount) async throws(MailTransportError) {}
}
