import ArgumentParser
import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; prints PATH:LINE: message for each problem.")

    @Option(name: .long, help: "Configuration file.")
    var config = "Config/switchboard.yaml"

    func run() async throws {
        do {
            let context = AdapterContext(
                logger: Logger(label: "check-config"), transport: OfflineTransport(), publicURL: "", mail: OfflineMailTransport())
            let (loaded, adapters) = try ConfigLoader.load(
                path: config, factories: AdapterCatalog.factories, providerFactories: AdapterCatalog.contextProviders, context: context)
            // Automation counted only when configured (the line stays as it was otherwise).
            let automation = [(loaded.rules.count, "rules"), (loaded.slaPolicies.count, "SLA policies"), (loaded.webhooks.count, "webhooks")]
                .filter { $0.0 > 0 }.map { ", \($0.0) \($0.1)" }.joined()
            print("\(config): OK (\(loaded.agents.count) agents, \(adapters.count) adapters\(automation))")
        } catch {
            for problem in error.problems { print(problem) }
            throw ExitCode(1)
        }
    }
}

/// Used while only checking: nothing is sent.
struct OfflineTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        throw TransportError("check-config sends nothing")
    }
}

/// Used while only checking: no mail is sent or fetched.
struct OfflineMailTransport: MailTransport {
    func send(_ message: Data, from: String, to recipients: [String], account: MailAccount) async throws(MailTransportError) {
        throw MailTransportError("check-config sends nothing")
    }
    func unseenMessages(account: MailAccount) async throws(MailTransportError) -> [UInt32] { [] }
    func fetchMessage(uid: UInt32, account: MailAccount) async throws(MailTransportError) -> Data {
        throw MailTransportError("check-config fetches nothing")
    }
    func markSeen(uid: UInt32, account: MailAccount) async throws(MailTransportError) {}
}
