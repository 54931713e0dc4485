import Foundation
import SwitchboardCore
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// Several gateways on one database: live events through LISTEN/NOTIFY, one leader by advisory lock.
@Suite(.integration) struct ClusterTests {
    /// The first event on `stream` (nil after `seconds`).
    static func first(_ stream: AsyncStream<SwitchboardEvent>, within seconds: Double = 5) async -> SwitchboardEvent? {
        await withTaskGroup(of: SwitchboardEvent?.self) { group in
            group.addTask {
                for await event in stream { return event }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            return result
        }
    }

    /// Two gateways' relays and event buses on one fresh database, not running yet.
    struct TwoRelays {
        let relayA: PostgresEventRelay
        let relayB: PostgresEventRelay
        let busA: EventBus
        let busB: EventBus
        let store: PostgresStore
        let database: String

        /// Runs both relays; the answer stops them and drops the database.
        func start() -> @Sendable () -> Void {
            let (relayA, relayB, busA, busB, store, database) = (relayA, relayB, busA, busB, store, database)
            let running = Task {
                await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await relayA.run(into: busA) }
                    group.addTask { try await relayB.run(into: busB) }
                }
            }
            return {
                running.cancel()
                Task {
                    try? await store.close()
                    try? await PostgresTestServer.shared.dropDatabase(database)
                }
            }
        }
    }

    static func twoRelays() async throws -> TwoRelays {
        let database = try await PostgresTestServer.shared.createDatabase()
        let url = try await PostgresTestServer.shared.url(database: database)
        let store = try await PostgresTestServer.shared.store(database: database)
        let relayA = try PostgresEventRelay(store: store, url: url, password: nil, instanceID: "A")
        let relayB = try PostgresEventRelay(store: store, url: url, password: nil, instanceID: "B")
        return TwoRelays(
            relayA: relayA, relayB: relayB, busA: EventBus(relay: relayA), busB: EventBus(relay: relayB), store: store, database: database)
    }

    /// The event buses of two gateways on one fresh database, relayed through it; `stop` ends both.
    static func twoGateways() async throws -> (EventBus, EventBus, stop: @Sendable () -> Void) {
        let relays = try await twoRelays()
        return (relays.busA, relays.busB, relays.start())
    }

    /// What `serve` waits for before it says "listening": once a relay says so, the first thing
    /// another gateway sends reaches it (a relay that reported too early would lose this one
    /// announcement, sent once and never repeated).
    @Test func aRelayReportsListeningOnlyOnceItHearsTheOthers() async throws {
        let relays = try await Self.twoRelays()
        #expect(await relays.relayA.waitUntilListening(timeout: .milliseconds(200)) == false, "not running: not listening")
        let stop = relays.start()
        defer { stop() }
        #expect(await relays.relayA.waitUntilListening(timeout: .seconds(10)))
        #expect(await relays.relayB.waitUntilListening(timeout: .seconds(10)))
        _ = relays.busB.subscribe(Viewer(agentID: "ana", isSupervisor: false))
        relays.busB.announcePresence()  // once
        try await Self.waitUntil(seconds: 10) { relays.busA.othersListening(at: Date()) }
    }

    @Test func eventsCrossGatewaysAndAreNotEchoed() async throws {
        let (busA, busB, stop) = try await Self.twoGateways()
        defer { stop() }
        let ana = Viewer(agentID: "ana", isSupervisor: false)
        let onA = busA.subscribe(ana)
        let onB = busB.subscribe(ana)
        let access = ConversationAccess(id: 7, owner: "ana", assignee: "ana", team: "support", status: .open)
        try await Task.sleep(for: .milliseconds(500))  // both LISTENing
        // A sends to the others once one of them has announced a connected agent (ClusterService does
        // it every few seconds; B's announcement on subscribing may have come before A listened).
        // Each has heard the other: both are LISTENing (announced again until then, as ClusterService
        // does every few seconds: one sent before the other listened is lost).
        try await Self.waitUntil {
            busA.announcePresence()
            busB.announcePresence()
            return busA.othersListening(at: Date()) && busB.othersListening(at: Date())
        }

        busA.publish(
            .messageCreated(MessageRecord(id: 1, conversationID: 7, direction: .inbound, body: "hi", createdAt: Date())), conversation: access)
        let local = try #require(await Self.first(onA))
        #expect(local.type == "message.created")
        let remote = try #require(await Self.first(onB))
        #expect(remote.type == "message.created" && remote.conversationID == 7 && remote.owner == "ana")
        #expect(String(decoding: remote.data, as: UTF8.self).contains("\"body\":\"hi\""))
        // Not echoed back to A.
        #expect(await Self.first(onA, within: 1) == nil)

        // Too large for a notification: a small refresh event instead.
        busA.publish(
            .messageCreated(
                MessageRecord(id: 1, conversationID: 7, direction: .inbound, body: String(repeating: "x", count: 9000), createdAt: Date())),
            conversation: access)
        let refresh = try #require(await Self.first(onB))
        #expect(refresh.type == "conversation.refresh")
        #expect(String(decoding: refresh.data, as: UTF8.self).contains("\"conversation_id\":7"))

        // A burst travels in batches and arrives complete and in order.
        for i in 0..<300 {
            busA.publish(
                .messageCreated(MessageRecord(id: 1, conversationID: 7, direction: .inbound, body: "burst \(i)", createdAt: Date())),
                conversation: access)
        }
        var texts: [String] = []
        while texts.count < 300, let event = await Self.first(onB) {
            texts.append(String(decoding: event.data, as: UTF8.self))
        }
        #expect(texts.count == 300)
        #expect(texts.enumerated().allSatisfy { $0.element.contains("\"body\":\"burst \($0.offset)\"") })
    }

    @Test func anAgentConnectedToOneGatewayIsPresentOnTheOthers() async throws {
        let (busA, busB, stop) = try await Self.twoGateways()
        defer { stop() }
        let supervisorOnB = busB.subscribe(Viewer(agentID: "marta", isSupervisor: true))
        try await Task.sleep(for: .milliseconds(500))  // both LISTENing
        #expect(!busB.presentAgents(at: Date()).contains("ana"))

        let anaOnA = busA.subscribe(Viewer(agentID: "ana", isSupervisor: false))
        try await Self.waitUntil {
            busA.announcePresence()
            return busB.presentAgents(at: Date()).contains("ana")
        }
        #expect(busB.presentAgents(at: Date()) == ["ana", "marta"])
        // Seen elsewhere a moment ago: `auto_away` counts from then, not from B's start.
        let seen = try #require(busB.lastDisconnect(of: "ana"))
        #expect(Date().timeIntervalSince(seen) < 5)
        // An announcement is bookkeeping, never an event for agents.
        #expect(await Self.first(supervisorOnB, within: 1) == nil)
        // Without further announcements (ana left A, or A died) the presence lapses after its lifetime.
        #expect(!busB.presentAgents(at: Date().addingTimeInterval(20)).contains("ana"))
        _ = anaOnA
    }

    @Test func oneLeaderAndTheRoleMovesWhenItStops() async throws {
        let database = try await PostgresTestServer.shared.createDatabase()
        let url = try await PostgresTestServer.shared.url(database: database)
        defer { Task { try? await PostgresTestServer.shared.dropDatabase(database) } }
        // `retry` is also how long a leader's check may take before it steps down: 100 ms made the
        // leader step down on a machine busy with the other integration suites.
        let first = try PostgresLeadership(url: url, password: nil, retry: .seconds(1))
        let second = try PostgresLeadership(url: url, password: nil, retry: .seconds(1))
        let runFirst = Task { try await first.run() }
        try await Self.waitUntil { first.isLeader }
        let runSecond = Task { try await second.run() }
        defer { runSecond.cancel() }
        // The second has tried (and failed) to take the lock at least once.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(first.isLeader && !second.isLeader)
        runFirst.cancel()
        _ = await runFirst.result
        #expect(!first.isLeader)
        try await Self.waitUntil { second.isLeader }
    }

    /// The deadline only turns a hang into a failure (a loaded machine is slow, not wrong).
    static func waitUntil(seconds: Double = 20, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            try #require(Date() < deadline, "condition not met in time")
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
