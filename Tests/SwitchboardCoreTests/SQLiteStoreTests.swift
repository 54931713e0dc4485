import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardSQLite
import Testing

/// SQLite-only store behaviour. Scenarios every engine must pass run on both in
/// `Tests/SwitchboardPostgresTests/PostgresStoreTests.swift` (`SharedStoreTests`).
@Suite struct SQLiteStoreTests {
    @Test func writerIsDurableAgainstPowerLoss() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        // 2 = FULL: GRDB's pool would otherwise leave its writer at NORMAL.
        #expect(try await t.store.synchronousLevel() == 2)
    }

    @Test func newCustomersGoToTheLeastLoadedAgentAndStayWithTheirOwner() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x")], policy: TestAgents.policy)
        #expect(first.map(\.kind) == [.stored, .stored])
        let owners = Set(first.compactMap(\.owner))
        #expect(owners == ["ana", "luis"])
        #expect(first[0].conversationID != first[1].conversationID)
        #expect(first[0].assignment?.event?.direction == .event)

        let again = try await t.store.ingest([inbound("3", from: "a@x", adapter: "other")], policy: TestAgents.policy)
        #expect(again[0].conversationID == first[0].conversationID)
        #expect(again[0].owner == first[0].owner)
        #expect(again[0].assignment == nil)

        let detail = try #require(try await t.store.conversation(first[0].conversationID!))
        #expect(detail.customer.contacts == 2)
        #expect(detail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["1", "3"])
        #expect(detail.firstResponseDue != nil)
    }

    @Test func replyGoesThroughTheOutboxAndRetriesThenFails() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([inbound("ext-1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await t.store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.adapter == "chat")
        #expect(route.address == "a@x")
        #expect(route.inReplyToExternalID == "ext-1")
        let now = Date()
        let reply = try await t.store.appendReply(conversation: id, author: "ana", body: "on it", route: route, at: now)
        #expect(reply.delivery?.state == .queued)
        #expect(try await t.store.conversation(id)?.firstResponseDue == nil)

        var claimed = try await t.store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60))
        #expect(claimed.map(\.messageID) == [reply.id])
        #expect(claimed.first?.inReplyToExternalID == "ext-1")
        // A claimed delivery is not handed out twice while its lease runs.
        #expect(try await t.store.claimDeliveries(now: now, limit: 10, claimer: "g2", leaseUntil: now.addingTimeInterval(60)).isEmpty)

        let retryAt = now.addingTimeInterval(5)
        let retried = try await t.store.completeDelivery(message: reply.id, result: .retry(error: "HTTP 500", retryAt: retryAt), at: now)
        #expect(retried?.delivery == DeliveryInfo(state: .queued, attempts: 1, error: "HTTP 500"))
        #expect(try await t.store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60)).isEmpty)
        #expect(try await t.store.nextDeliveryDue().map { abs($0.timeIntervalSince(retryAt)) < 0.001 } == true)

        claimed = try await t.store.claimDeliveries(now: retryAt, limit: 10, claimer: "g1", leaseUntil: retryAt.addingTimeInterval(60))
        #expect(claimed.first?.attempts == 1)
        let failed = try await t.store.completeDelivery(message: reply.id, result: .failed(error: "HTTP 500 again"), at: retryAt)
        #expect(failed?.delivery == DeliveryInfo(state: .failed, attempts: 2, error: "HTTP 500 again"))
        #expect(try await t.store.nextDeliveryDue() == nil)

        let requeued = try await t.store.retryDelivery(message: reply.id, at: retryAt)
        #expect(requeued?.delivery == DeliveryInfo(state: .queued, attempts: 0, error: nil))
        claimed = try await t.store.claimDeliveries(now: retryAt, limit: 10, claimer: "g1", leaseUntil: retryAt.addingTimeInterval(60))
        let delivered = try await t.store.completeDelivery(
            message: reply.id, result: .delivered(DeliveryReceipt(externalID: "platform-9", state: .delivered)), at: retryAt)
        #expect(delivered?.delivery?.state == .delivered)
        #expect(delivered?.externalID == "platform-9")
        // Only a failed reply can be retried.
        #expect(try await t.store.retryDelivery(message: reply.id, at: retryAt) == nil)
    }

    @Test func unavailableAgentsGetNoNewCustomers() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        try await t.store.setAgentStatus("ana", .away)
        let o = try await t.store.ingest((1...4).map { inbound("\($0)", from: "c\($0)@x") }, policy: TestAgents.policy)
        #expect(o.allSatisfy { $0.owner == "luis" })
        try await t.store.setAgentStatus("luis", .offline)
        let nobody = try await t.store.ingest([inbound("9", from: "new@x")], policy: TestAgents.policy)[0]
        #expect(nobody.owner == nil)
        #expect(nobody.assignment?.reason.contains("no agent") == true)
    }
}

@Suite struct TakeWorkTests {
    @Test func anAvailableOwnerGetsBackWhatOthersCoveredAndTheQueueDrainsOldestFirst() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let owner = try #require(first.owner)
        let other = owner == "ana" ? "luis" : "ana"
        try await t.store.setAgentStatus(owner, .away)
        let covered = try await t.store.ingest([inbound("2", from: "a@x")], policy: TestAgents.policy)[0]
        #expect(covered.owner == owner)
        #expect(covered.assignee == other)
        #expect(covered.assignment?.event?.body.contains("stays the owner") == true)

        try await t.store.setAgentStatus(other, .away)
        let waiting = try await t.store.ingest([inbound("3", from: "new1@x"), inbound("4", from: "new2@x")], policy: TestAgents.policy)
        #expect(waiting.allSatisfy { $0.owner == nil && $0.assignee == nil })

        try await t.store.setAgentStatus(owner, .available)
        let changes = try await t.store.takeWork(agent: owner, teams: ["support"], returnToOwner: true, capacity: 2, at: Date())
        #expect(changes.map(\.conversation.id) == [first.conversationID!, waiting[0].conversationID!])
        #expect(changes[0].previousAssignee == other)
        #expect(changes[1].conversation.owner == owner)
        #expect(try await t.store.access(conversation: waiting[1].conversationID!)?.assignee == nil, "capacity 2 reached")
    }
}
