import ArgumentParser
import Foundation
import Logging
import SwitchboardConfig
import SwitchboardCore

/// `switchboard bench-search`: times searches against the configured database, through the same
/// code the API runs (``AgentDesk/search(_:for:)``: the engine's index, the visibility rules,
/// snippets, ranking), without HTTP in between. Words come from the history generator's vocabulary.
struct BenchSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-search",
        abstract: "Time searches over the configured database (p50/p95/p99 per kind of query).",
        discussion: """
            Runs --queries searches, --concurrency at a time, of five kinds: a common word, a product or place, a rare \
            order number, a customer's name, and two words together; each as the supervisor (who sees everything) and \
            as an agent (who sees their own), newest first, and a fifth of them ordered by relevance. Pair with \
            generate-history (scripts/bench-search.sh does both).
            """)

    @Option(name: .long, help: "Configuration file (its storage and agents are used).")
    var config = "Config/switchboard.yaml"

    @Option(help: "Searches to time.")
    var queries = 400

    @Option(help: "Searches run at once.")
    var concurrency = 4

    @Option(help: "Results per page.")
    var limit = 20

    @Option(help: "Seed for the choice of words.")
    var seed: UInt64 = 7

    @Option(help: "Only this order (newest or relevance); default: newest, and a fifth of the searches by relevance.")
    var order: SearchRequest.Order?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    enum Kind: String, CaseIterable, Encodable {
        case common, medium, rare, name
        case twoWords = "two-words"
    }

    struct Query: Sendable {
        var kind: Kind
        var text: String
        var viewer: Viewer
        var order: SearchRequest.Order
    }

    struct Result: Encodable {
        var kind: String
        var count: Int
        var p50: Double
        var p95: Double
        var p99: Double
        var max: Double
        var meanResults: Double
    }

    func run() async throws {
        let loaded = try GenerateHistory.load(config)
        let store = try StorageTool.open(loaded.storage)
        var logger = Logger(label: "switchboard.bench-search")
        logger.logLevel = .error
        try await store.prepare(agents: loaded.agents)
        let key = try await store.gatewayKey()
        let events = EventBus()
        let adapters = AdapterRegistry([])
        let outbox = DeliveryWorker(store: store, adapters: adapters, events: events, settings: DeliverySettings(), key: key, logger: logger)
        let desk = AgentDesk(
            directory: AgentDirectory(agents: loaded.agents), store: store, adapters: adapters, events: events, outbox: outbox,
            references: key.references)
        guard let supervisor = loaded.agents.first(where: \.isSupervisor), let agent = loaded.agents.first(where: { !$0.isSupervisor }) else {
            throw ValidationError("the configuration needs a supervisor and an agent")
        }
        var work = Self.workload(count: queries, seed: seed, supervisor: Viewer(supervisor), agent: Viewer(agent))
        if let order {
            work = work.map { query in
                var query = query
                query.order = order
                return query
            }
        }
        let limit = self.limit
        // Warm the caches a running gateway would have warm.
        for query in work.prefix(20) {
            _ = try await desk.search(SearchRequest(text: query.text, limit: limit, order: query.order), for: query.viewer)
        }

        var timings: [(Query, Double, Int)] = []
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: [(Query, Double, Int)].self) { group in
            for lane in 0..<max(1, concurrency) {
                let mine = stride(from: lane, to: work.count, by: max(1, concurrency)).map { work[$0] }
                group.addTask {
                    var out: [(Query, Double, Int)] = []
                    for query in mine {
                        let start = ContinuousClock.now
                        let page = try await desk.search(SearchRequest(text: query.text, limit: limit, order: query.order), for: query.viewer)
                        let elapsed = ContinuousClock.now - start
                        out.append(
                            (query, Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000, page.results.count))
                    }
                    return out
                }
            }
            for try await part in group { timings += part }
        }
        let wall = ContinuousClock.now - started
        try? await store.close()

        var rows: [Result] = []
        func summarize(_ name: String, _ items: [(Query, Double, Int)]) {
            let sorted = items.map(\.1).sorted()
            guard !sorted.isEmpty else { return }
            func rank(_ p: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
            rows.append(
                Result(
                    kind: name, count: sorted.count, p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: sorted.last ?? 0,
                    meanResults: Double(items.map(\.2).reduce(0, +)) / Double(items.count)))
        }
        summarize("all", timings)
        for kind in Kind.allCases { summarize(kind.rawValue, timings.filter { $0.0.kind == kind }) }
        summarize("as supervisor", timings.filter { $0.0.viewer.isSupervisor })
        summarize("as agent", timings.filter { !$0.0.viewer.isSupervisor })
        summarize("relevance", timings.filter { $0.0.order == .relevance })
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(
                "\(StorageTool.describe(loaded.storage)): \(timings.count) searches, \(concurrency) at a time, \(String(format: "%.1f", seconds)) s")
            print("kind              count    p50 ms    p95 ms    p99 ms    max ms  results")
            for r in rows {
                print(
                    r.kind.padding(toLength: 16, withPad: " ", startingAt: 0)
                        + String(format: "%7d %9.1f %9.1f %9.1f %9.1f %8.1f", r.count, r.p50, r.p95, r.p99, r.max, r.meanResults))
            }
        }
    }

    /// The searches, in a fixed order for a seed.
    static func workload(count: Int, seed: UInt64, supervisor: Viewer, agent: Viewer) -> [Query] {
        var state = seed
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) >> 1)
        }
        func pick(_ list: [String]) -> String { list[next() % list.count] }
        return (0..<count).map { i in
            let kind = Kind.allCases[i % Kind.allCases.count]
            let text: String =
                switch kind {
                case .common: pick(HistoryVocabulary.commonWords)
                case .medium: pick(HistoryVocabulary.mediumWords)
                case .rare: HistoryVocabulary.orderNumber(next())
                case .name: pick(HistoryVocabulary.firstNames) + " " + pick(HistoryVocabulary.lastNames)
                case .twoWords: pick(HistoryVocabulary.mediumWords) + " " + pick(HistoryVocabulary.commonWords)
                }
            return Query(
                kind: kind, text: text, viewer: (i / Kind.allCases.count) % 2 == 0 ? supervisor : agent,
                order: (i / 10) % 5 == 4 ? .relevance : .newest)
        }
    }
}

extension SearchRequest.Order: ExpressibleByArgument {}
