import Foundation
import Logging
import PhoneLogAdapter
import ServiceLifecycle
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardSQLite
import Testing

/// A role the test hands out and takes back, as an election would.
struct SwitchedLeadership: Leadership {
    let role = LeaderRole()
    var isLeader: Bool { role.isLeader }
    func roleChanges() -> AsyncStream<Bool> { role.changes() }
    func run() async throws {}
}

/// `watch:` end to end inside one process: the phone-log adapter built by its factory from a
/// config section, run by the gateway's ``AdapterRunner`` only while this gateway leads, storing
/// through the real router and group committer into a real SQLite database.
@Suite struct CDRWatchTests {
    static let marta = Viewer(agentID: "marta", isSupervisor: true)

    /// The call ids stored as inbound messages, with repeats (there must be none).
    static func storedCalls(_ store: SQLiteStore) async throws -> [String] {
        var ids: [String] = []
        for summary in try await store.conversations(ConversationQuery(viewer: marta, status: .all, limit: 1000)) {
            let detail = try #require(try await store.conversation(summary.id))
            ids += detail.messages.filter { $0.direction == .inbound }.compactMap(\.externalID)
        }
        return ids.sorted()
    }

    static func eventually(_ what: String, within seconds: Double = 5, _ check: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func theLeaderTailsTheFileAndNothingIsStoredTwice() async throws {
        let file = try CDRScratch()
        defer { file.cleanup() }
        let directory = file.directory.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        let agents = [
            Agent(id: "ana", name: "Ana", role: .agent, teams: ["support"], capacity: 25),
            Agent(id: "marta", name: "Marta", role: .supervisor, teams: ["support"]),
        ]
        try await store.prepare(agents: agents)

        let (adapter, problems) = try watchingAdapter(path: file.path)
        #expect(problems.isEmpty)
        let registry = AdapterRegistry([RegisteredAdapter(adapter: adapter, team: "support")])
        let policy = IngestPolicy(
            assignment: AssignmentPolicy(directory: AgentDirectory(agents: agents)), teamOfAdapter: { _ in "support" },
            firstResponse: { _ in .seconds(3600) })
        let logger = Logger(label: "test")
        let committer = GroupCommitter(store: store, policy: policy, logger: logger)
        let router = InboundPipeline(adapters: registry, committer: committer, logger: logger)
        let leadership = SwitchedLeadership()
        let runner = AdapterRunner(adapters: registry, sink: router, leadership: leadership, logger: logger)
        let group = ServiceGroup(services: [committer, runner], logger: logger)

        try file.append(cdrRow("9.1", caller: "600000001") + "\n" + cdrRow("9.2", caller: "600000002") + "\n")
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // A follower does not read the file.
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await Self.storedCalls(store) == [])

            leadership.role.set(true)
            try await Self.eventually("the file read by the new leader") { try await Self.storedCalls(store) == ["9.1", "9.2"] }

            // Appended rows arrive; a row still being written waits for its end of line.
            let partial = cdrRow("9.4", caller: "600000004")
            try file.append(cdrRow("9.3", caller: "600000003") + "\n" + partial.prefix(30))
            try await Self.eventually("the appended row") { try await Self.storedCalls(store) == ["9.1", "9.2", "9.3"] }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.storedCalls(store).count == 3)
            try file.append(partial.dropFirst(30) + "\n")
            try await Self.eventually("the finished row") { try await Self.storedCalls(store).count == 4 }

            // Leadership lost: reading stops at once; regained: it starts again from the top of the
            // file, and what was stored already is not stored again.
            leadership.role.set(false)
            try await Task.sleep(for: .milliseconds(100))
            try file.append(cdrRow("9.5", caller: "600000005") + "\n")
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await Self.storedCalls(store).count == 4)
            leadership.role.set(true)
            try await Self.eventually("the row appended while following") { try await Self.storedCalls(store).count == 5 }

            // Truncated (copytruncate) with an old row written again: only the new one is new.
            try FileHandle(forWritingAtPath: file.path)?.truncate(atOffset: 0)
            try file.append(cdrRow("9.1", caller: "600000001") + "\n" + cdrRow("9.6", caller: "600000006") + "\n")
            try await Self.eventually("the row after truncation") { try await Self.storedCalls(store).count == 6 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.storedCalls(store) == ["9.1", "9.2", "9.3", "9.4", "9.5", "9.6"])

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await store.close()
    }

    @Test func watchIsCheckedAtStart() throws {
        let (_, relative) = try watchingAdapter(path: "Master.csv")
        #expect(relative.contains { $0.contains("not an absolute path") })
        let (section, diagnostics) = phoneSection([
            ("format", scalar("json")), ("watch", scalar("/tmp/x.csv")), ("json", mapping([("call_id", "/id")])),
        ])
        _ = PhoneLogSettings(config: section)
        #expect(diagnostics.problems.map(\.description).contains { $0.contains("applies to format asterisk-cdr only") })
        let (_, fast) = try watchingAdapter(path: "/tmp/x.csv", poll: "10ms")
        #expect(fast.contains { $0.contains("poll must be between 100ms and 1h") })
    }

    func watchingAdapter(path: String, poll: String = "100ms") throws -> (any ChannelAdapter, [String]) {
        let (section, diagnostics) = phoneSection([
            ("format", scalar("asterisk-cdr")), ("country_code", scalar("34")), ("watch", scalar(path)), ("poll", scalar(poll)),
        ])
        let context = AdapterContext(logger: Logger(label: "test"), transport: CapturingTransport(), publicURL: "")
        let adapter = try PhoneLogAdapterFactory().makeAdapter(id: "pbx", config: section, context: context)
        section.finish()
        return (adapter, diagnostics.problems.map(\.description))
    }
}
