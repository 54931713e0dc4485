import ArgumentParser
import Foundation
import SwitchboardConfig
import SwitchboardCore

/// `switchboard generate-history`: fills the configured database with made-up but realistic
/// history (see ``HistoryGenerator``) for benchmarks and demos, straight through SQL in batches.
struct GenerateHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-history",
        abstract: "Fill the configured database with realistic made-up history (for benchmarks and demos).",
        discussion: """
            Customers with accented Spanish and English names write on the given channels; threads of customer messages, \
            replies, internal notes and assignment events spread evenly over --days up to now, owned by the configured \
            agents, mostly resolved, some tagged. Ids continue after what the database holds. Every message is indexed \
            for search by the same triggers as in service. Never point it at a production database.
            """)

    @Option(name: .long, help: "Configuration file (its storage, agents and adapters are used).")
    var config = "Config/switchboard.yaml"

    @Option(help: "Messages to write.")
    var messages = 100_000

    @Option(help: "Customers (one conversation each). Default: messages / 8.")
    var customers: Int?

    @Option(help: "Days of history, ending now.")
    var days = 365

    @Option(help: "Seed: the same seed gives the same history.")
    var seed: UInt64 = 1

    @Option(help: "Messages per transaction.")
    var batch = 20_000

    @Option(help: "Channels customers write through, as adapter:channel pairs (default: the configured adapters).")
    var adapters: String?

    @Option(help: "Make the first customer's thread about this many messages long, spread over the history (0: a thread like the others).")
    var longThread = 0

    @Option(help: "An agent with this many open conversations (and no others), as agent:count, e.g. a01:20000.")
    var busyAgent: String?

    func validate() throws {
        guard messages > 0, batch > 0, days > 0 else { throw ValidationError("--messages, --batch and --days must be positive") }
        if let customers, customers <= 0 { throw ValidationError("--customers must be positive") }
        guard longThread >= 0, longThread <= messages else { throw ValidationError("--long-thread must be between 0 and --messages") }
        if let busyAgent, Self.busy(busyAgent) == nil { throw ValidationError("--busy-agent takes agent:count, e.g. a01:20000") }
    }

    static func busy(_ value: String) -> (agent: String, open: Int)? {
        let parts = value.split(separator: ":")
        guard parts.count == 2, !parts[0].isEmpty, let open = Int(parts[1]), open > 0 else { return nil }
        return (String(parts[0]), open)
    }

    func run() async throws {
        let loaded = try Self.load(config)
        let storage = loaded.storage
        let store = try StorageTool.open(storage)
        guard let loader = store as? any HistoryLoader else {
            printError("generate-history: this storage engine cannot load history")
            throw ExitCode(StorageTool.software)
        }
        let channels = try adapters.map(Self.parse) ?? loaded.adapters.map { ($0.id, Self.channel(ofType: $0.type)) }
        guard !channels.isEmpty else { throw ValidationError("no adapters: configure some or pass --adapters shop-chat:chat") }
        let owners = loaded.agents.filter { !$0.isSupervisor }.map { (id: $0.id, team: $0.teams.first) }
        var generator = HistoryGenerator(
            messages: messages, customers: customers, days: days, seed: seed, agents: owners,
            adapters: channels.map { (id: $0.0, channel: $0.1) })
        generator.longThread = longThread
        if let busy = busyAgent.flatMap(Self.busy) {
            guard owners.contains(where: { $0.id == busy.agent }) else {
                throw ValidationError("--busy-agent: \(busy.agent) is not a configured agent (supervisors own no history)")
            }
            (generator.busyAgent, generator.busyOpen) = (busy.agent, busy.open)
        }
        let started = Date()
        do {
            try await store.prepare(agents: loaded.agents)
            let start = try await loader.historyStart()
            var written = 0
            var lastReport = Date()
            let activity = try await generator.generate(after: start, batchSize: batch) { rows in
                try await loader.loadHistory(rows)
                written += rows.messages.count
                if Date().timeIntervalSince(lastReport) >= 5 {
                    lastReport = Date()
                    let rate = Double(written) / Date().timeIntervalSince(started)
                    print("\(written) / \(messages) messages (\(Int(rate)) per second)")
                }
            }
            try await loader.finishHistory(activity)
            try? await store.close()
            let seconds = Date().timeIntervalSince(started)
            print(
                """
                \(StorageTool.describe(storage)): \(messages) messages of \(activity.count) customers over \(days) days written in \
                \(String(format: "%.1f", seconds)) s (\(Int(Double(messages) / seconds)) messages per second), ids after message \(start.message)
                """)
            if longThread > 0 {
                print("long thread: customer \(start.customer + 1), conversation \(start.conversation + 1)")
            }
        } catch {
            try? await store.close()
            throw ExitCode(StorageTool.exitCode(for: error, command: "generate-history"))
        }
    }

    /// The configuration, with a stand-in for secrets it names but this shell lacks (only storage,
    /// agents and adapters are read).
    static func load(_ path: String) throws -> GatewayConfig {
        _ = try StorageTool.storage(config: path)  // prints the problems, exits 78
        let environment = ProcessInfo.processInfo.environment
        let standIn = String(repeating: "x", count: ConfigLoader.minimumTokenLength)
        return try ConfigLoader.load(path: path, environment: { environment[$0] ?? $0 + standIn })
    }

    static func parse(_ list: String) throws -> [(String, String)] {
        try list.split(separator: ",").map { pair in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--adapters takes adapter:channel pairs, e.g. shop-chat:chat,mail:email,sms:phone")
            }
            return (String(parts[0]), String(parts[1]))
        }
    }

    /// The identity channel customers of an adapter type have.
    static func channel(ofType type: String) -> String {
        switch type {
        case "email", "imap", "graph": "email"
        case "twilio", "sms", "whatsapp", "phone", "phonelog", "asterisk": "phone"
        case "telegram": "telegram"
        default: "chat"
        }
    }
}
