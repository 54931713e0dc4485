import Foundation
import Logging
import Synchronization
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// A clock the test moves by hand: no test sleeps to wait for a deadline.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct PromiseKeeperTests {
    @Test func warnsBreachesAndMovesAnUnansweredConversationOnTime() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let rules = RoutingRules(reassignAfter: .seconds(5))
        let directory = AgentDirectory(agents: TestAgents.all)
        let policy = IngestPolicy(
            assignment: AssignmentPolicy(directory: directory, rules: rules), teamOfAdapter: { _ in "support" },
            firstResponse: { _ in .seconds(3) })
        let events = EventBus()
        let keeper = PromiseKeeper(store: t.store, policy: policy.assignment, events: events, now: { clock.now }, logger: Logger(label: "test"))

        let first = try await t.store.ingest([inbound("1", from: "a@x", at: clock.now)], policy: policy)[0]
        let id = try #require(first.conversationID)
        let owner = try #require(first.owner)
        let ownerEvents = events.subscribe(Viewer(agentID: owner, isSupervisor: false))
        let supervisorEvents = events.subscribe(Viewer(TestAgents.marta))

        clock.advance(2.0)
        try await keeper.tick()
        #expect(try await t.store.conversation(id)?.escalated == false)
        clock.advance(0.5)  // 2.5 s: past 80 % of 3 s
        try await keeper.tick()
        #expect(try await next(ownerEvents) == "sla.warning")
        clock.advance(0.6)  // 3.1 s: breached
        try await keeper.tick()
        #expect(try await next(ownerEvents) == "sla.breached")
        #expect(try await nextSkipping(supervisorEvents, until: "sla.breached") == "sla.breached")
        let breached = try #require(try await t.store.conversation(id))
        #expect(breached.escalated)
        #expect(breached.messages.contains { $0.direction == .event && $0.body.hasPrefix("Response overdue") })
        try await keeper.tick()  // nothing repeats
        clock.advance(2.0)  // 5.1 s: nobody answered, so it moves
        try await keeper.tick()
        let moved = try #require(try await t.store.conversation(id))
        #expect(moved.owner == owner)
        #expect(moved.assignee != owner && moved.assignee != nil)
        #expect(moved.messages.last?.body.contains("No reply to the customer for 5s") == true)
        #expect(try await nextSkipping(ownerEvents, until: "conversation.assigned") == "conversation.assigned", "the original assignee is told")

        // An answer stops every clock.
        let route = try #require(try await t.store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await t.store.appendReply(conversation: id, author: moved.assignee!, body: "sorry for the wait", route: route, at: clock.now)
        clock.advance(60)
        #expect(try await t.store.promisesDue(now: clock.now, staleAfter: .seconds(5), limit: 10).isEmpty)
    }

    func next(_ stream: AsyncStream<SwitchboardEvent>) async throws -> String? {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { for await e in stream { return e.type }; return nil }
            group.addTask { try await Task.sleep(for: .seconds(5)); return "timeout" }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    func nextSkipping(_ stream: AsyncStream<SwitchboardEvent>, until type: String) async throws -> String? {
        for _ in 0..<10 {
            let e = try await next(stream)
            if e == type || e == "timeout" || e == nil { return e }
        }
        return nil
    }
}

@Suite struct AutoAwayTests {
    @Test func anAgentWithoutALiveConnectionIsSetAwayAfterTheConfiguredTime() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let clock = TestClock(Date())
        let events = EventBus()
        let policy = AssignmentPolicy(directory: AgentDirectory(agents: TestAgents.all), rules: RoutingRules(autoAway: .seconds(300)))
        let keeper = PromiseKeeper(store: t.store, policy: policy, events: events, now: { clock.now }, logger: Logger(label: "t"))
        let stream = events.subscribe(Viewer(TestAgents.luis))  // luis keeps his event stream open

        clock.advance(200)
        try await keeper.tick()
        #expect(try await t.store.agentStatus("ana") == .available)
        clock.advance(101)
        try await keeper.tick()
        #expect(try await t.store.agentStatus("ana") == .away)
        #expect(try await t.store.agentStatus("luis") == .available, "connected agents stay available")
        #expect(try await t.store.agentStatus("marta") == .available, "supervisors are not routed to, so not touched")
        _ = stream
    }
}
