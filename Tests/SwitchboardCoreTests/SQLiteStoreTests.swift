import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardSQLite
import Testing

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

    @Test func sameExternalIDIsStoredOnceEvenWithinOneBatch() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let outcomes = try await t.store.ingest(
            [inbound("dup", from: "a@x"), inbound("dup", from: "a@x"), inbound("dup", from: "a@x", adapter: "other")],
            policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.stored, .duplicate, .stored])
        #expect(outcomes[1].messageID == outcomes[0].messageID)
        let later = try await t.store.ingest([inbound("dup", from: "a@x")], policy: TestAgents.policy)
        #expect(later[0].kind == .duplicate)
        let detail = try #require(try await t.store.conversation(outcomes[0].conversationID!))
        #expect(detail.customer.contacts == 2)
    }

    @Test func emailAddressesAndPhonesAreNormalizedIntoOneCustomer() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let o = try await t.store.ingest([
            inbound("1", from: "Alice@Example.com", channel: "email"),
            inbound("2", from: "alice@example.COM ", channel: "email"),
            inbound("3", from: "+34 600 123 456", channel: "phone"),
            inbound("4", from: "0034600123456", channel: "phone"),
        ], policy: TestAgents.policy)
        #expect(o[0].customerID == o[1].customerID)
        #expect(o[2].customerID == o[3].customerID)
        #expect(o[0].customerID != o[2].customerID)
    }

    @Test func resolvedConversationReopensWithTheSameOwner() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        _ = try await t.store.resolve(conversation: id, author: "ana", at: Date())
        await #expect(throws: ServiceError.self) { try await t.store.resolve(conversation: id, author: "ana", at: Date()) }
        #expect(try await t.store.access(conversation: id)?.status == .resolved)
        let back = try await t.store.ingest([inbound("2", from: "a@x")], policy: TestAgents.policy)[0]
        #expect(back.conversationID == id)
        #expect(back.owner == first.owner)
        #expect(back.assignment?.reason.contains("reopened") == true)
        #expect(try await t.store.access(conversation: id)?.status == .open)
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

    @Test func platformStatusReportsMoveDeliveryForwardOnly() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await t.store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await t.store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: Date())
        _ = try await t.store.claimDeliveries(now: Date(), limit: 1, claimer: "g", leaseUntil: Date().addingTimeInterval(60))
        _ = try await t.store.completeDelivery(message: reply.id, result: .delivered(DeliveryReceipt(externalID: "p1", state: .sent)), at: Date())
        func report(_ state: DeliveryStatusUpdate.State) -> IngestItem {
            IngestItem(adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "p1", state: state)), receivedAt: Date())
        }
        let outcomes = try await t.store.ingest([report(.delivered), report(.sent), report(.read)], policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.deliveryUpdated, .deliveryUpdated, .deliveryUpdated])
        #expect(outcomes.map { $0.message?.delivery?.state } == [.delivered, .delivered, .delivered])
        let unknown = try await t.store.ingest([IngestItem(
            adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "nope", state: .read)), receivedAt: Date())],
            policy: TestAgents.policy)
        #expect(unknown[0].kind == .ignored)
    }

    @Test func agentsSeeOnlyTheirConversationsAndSupervisorsAll() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        _ = try await t.store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x"), inbound("3", from: "c@x")], policy: TestAgents.policy)
        let ana = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.ana)))
        let luis = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.luis)))
        let marta = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta)))
        #expect(ana.count + luis.count == 3)
        #expect(Set(ana.map(\.id)).isDisjoint(with: luis.map(\.id)))
        #expect(marta.count == 3)
        #expect(try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), status: .resolved)).isEmpty)
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
