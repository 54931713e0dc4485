import Foundation
import Logging
import ServiceLifecycle
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The core's services on the engine: what they do rests on the store's primitives (group ingest,
/// promises due, stale reassignment, orphans), so each engine runs them too.
extension StoreConformance {
    static let serviceScenarios: [StoreScenario] = [
        StoreScenario("concurrent submissions to the group committer share commits and each gets its own outcome", on: groupCommits),
        StoreScenario("the promise keeper warns, breaches and moves an unanswered conversation on time", on: promiseKeeperKeepsPromises),
        StoreScenario("an agent without a live connection is set away after the configured time", on: autoAway),
        StoreScenario("conversations of removed agents are redistributed and recorded", on: orphansAreRedistributed),
    ]

    @Sendable static func groupCommits(_ store: any Store) async throws {
        let committer = GroupCommitter(store: store, policy: TestAgents.policy, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [committer], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let results = try await withThrowingTaskGroup(of: (Int, [IngestOutcome]).self) { submits in
                for i in 0..<200 {
                    submits.addTask { (i, try await committer.submit([inbound("m\(i)", from: "c\(i % 20)@x")])) }
                }
                return try await submits.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(results.count == 200)
            #expect(results.values.allSatisfy { $0.count == 1 && $0[0].kind == .stored })
            let resent = try await committer.submit([inbound("m7", from: "c7@x")])
            #expect(resent[0].kind == .duplicate)
            #expect(resent[0].messageID == results[7]?[0].messageID)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let all = try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), limit: 1000))
        #expect(all.count == 20)
    }

    @Sendable static func promiseKeeperKeepsPromises(_ store: any Store) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let rules = RoutingRules(reassignAfter: .seconds(5))
        let directory = AgentDirectory(agents: TestAgents.all)
        let policy = IngestPolicy(
            assignment: AssignmentPolicy(directory: directory, rules: rules), teamOfAdapter: { _ in "support" },
            firstResponse: { _ in .seconds(3) })
        let events = EventBus()
        let keeper = PromiseKeeper(store: store, policy: policy.assignment, events: events, now: { clock.now }, logger: Logger(label: "test"))

        let first = try await store.ingest([inbound("1", from: "a@x", at: clock.now)], policy: policy)[0]
        let id = try #require(first.conversationID)
        let owner = try #require(first.owner)
        let ownerEvents = events.subscribe(Viewer(agentID: owner, isSupervisor: false))
        let supervisorEvents = events.subscribe(Viewer(TestAgents.marta))

        clock.advance(2.0)
        try await keeper.tick()
        #expect(try await store.conversation(id)?.escalated == false)
        clock.advance(0.5)  // 2.5 s: past 80 % of 3 s
        try await keeper.tick()
        #expect(try await next(ownerEvents) == "sla.warning")
        clock.advance(0.6)  // 3.1 s: breached
        try await keeper.tick()
        #expect(try await next(ownerEvents) == "sla.breached")
        #expect(try await next(supervisorEvents, skippingUntil: "sla.breached") == "sla.breached")
        let breached = try #require(try await store.conversation(id))
        #expect(breached.escalated)
        #expect(breached.messages.contains { $0.direction == .event && $0.body.hasPrefix("Response overdue") })
        try await keeper.tick()  // nothing repeats
        clock.advance(2.0)  // 5.1 s: nobody answered, so it moves
        try await keeper.tick()
        let moved = try #require(try await store.conversation(id))
        #expect(moved.owner == owner)
        #expect(moved.assignee != owner && moved.assignee != nil)
        #expect(moved.messages.last?.body.contains("No reply to the customer for 5s") == true)
        #expect(try await next(ownerEvents, skippingUntil: "conversation.assigned") == "conversation.assigned", "the original assignee is told")

        // An answer stops every clock.
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: id, author: moved.assignee!, body: "sorry for the wait", route: route, at: clock.now)
        clock.advance(60)
        #expect(try await store.promisesDue(now: clock.now, staleAfter: .seconds(5), limit: 10).isEmpty)
    }

    @Sendable static func autoAway(_ store: any Store) async throws {
        let clock = TestClock(Date())
        let events = EventBus()
        let policy = AssignmentPolicy(directory: AgentDirectory(agents: TestAgents.all), rules: RoutingRules(autoAway: .seconds(300)))
        let keeper = PromiseKeeper(store: store, policy: policy, events: events, now: { clock.now }, logger: Logger(label: "t"))
        let stream = events.subscribe(Viewer(TestAgents.luis))  // luis keeps his event stream open

        clock.advance(200)
        try await keeper.tick()
        #expect(try await store.agentStatus("ana") == .available)
        clock.advance(101)
        try await keeper.tick()
        #expect(try await store.agentStatus("ana") == .away)
        #expect(try await store.agentStatus("luis") == .available, "connected agents stay available")
        #expect(try await store.agentStatus("marta") == .available, "supervisors are not routed to, so not touched")
        _ = stream
    }

    @Sendable static func orphansAreRedistributed(_ store: any Store) async throws {
        let o = try await store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x")], policy: TestAgents.policy)
        let anaConversation = try #require(o.first { $0.owner == "ana" }?.conversationID)

        // Ana leaves the configuration; the gateway restarts with the others.
        let remaining = [TestAgents.luis, TestAgents.marta]
        try await store.prepare(agents: remaining)
        let directory = AgentDirectory(agents: remaining)
        let events = EventBus()
        let worker = DeliveryWorker(
            store: store, adapters: AdapterRegistry([]), events: events, settings: DeliverySettings(), key: testKey, logger: Logger(label: "t"))
        let desk = AgentDesk(
            directory: directory, store: store, adapters: AdapterRegistry([]), events: events, outbox: worker, references: testReferences)
        #expect(try await desk.redistributeOrphans() == 1)
        let detail = try #require(try await store.conversation(anaConversation))
        #expect(detail.owner == "luis")
        #expect(detail.assignee == "luis")
        #expect(detail.messages.last?.body == "ana left the configuration; luis takes the conversation as its owner")
        #expect(try await desk.redistributeOrphans() == 0)
    }

    /// The type of the next event on `stream` ("timeout" after 5 s, so a missing event fails the
    /// scenario instead of hanging it).
    static func next(_ stream: AsyncStream<SwitchboardEvent>) async throws -> String? {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await e in stream { return e.type }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return "timeout"
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// The next event of type `type` on `stream`, skipping up to nine others.
    static func next(_ stream: AsyncStream<SwitchboardEvent>, skippingUntil type: String) async throws -> String? {
        for _ in 0..<10 {
            let e = try await next(stream)
            if e == type || e == "timeout" || e == nil { return e }
        }
        return nil
    }
}
