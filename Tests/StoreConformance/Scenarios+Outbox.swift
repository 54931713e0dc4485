import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Replies leave through the durable outbox: claimed under a lease, retried, failed, delivered.
extension StoreConformance {
    static let outboxScenarios: [StoreScenario] = [
        StoreScenario("a reply goes through the outbox, is retried, then fails, and a failed one can be sent again", on: replyGoesThroughTheOutbox),
        StoreScenario("an expired lease is claimed again by another gateway", on: anExpiredLeaseIsClaimedAgain),
        StoreScenario("platform status reports move a delivery forward only", on: statusReportsMoveDeliveryForwardOnly),
        StoreScenario("a reply answers the customer's latest message in time, after a merge brought older ones in", on: replyAnswersTheLatestInTime),
    ]

    @Sendable static func replyAnswersTheLatestInTime(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        // Bea texted first; her mail came a minute later, as another customer until the merge.
        let sms = try await store.ingest(
            [said("s1", from: "+34600111222", "my order?", adapter: "sms", channel: "phone", at: t0)], policy: TestAgents.policy)[0]
        let mail = try await store.ingest(
            [said("m1", from: "bea@example.com", "about my order", adapter: "mail", channel: "email", at: t0.addingTimeInterval(60))],
            policy: TestAgents.policy)[0]
        _ = try await store.merge(
            survivor: mail.customerID!, absorbed: sms.customerID!, by: "marta", at: t0.addingTimeInterval(120), references: testReferences)
        let conversation = try #require(mail.conversationID)
        var route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.adapter == "mail")
        #expect(route.inReplyToExternalID == "m1")
        #expect(try await store.conversationFacts(conversation: conversation, message: nil)?.message?.externalID == "m1")
        // Her next text is the latest: the reply goes back by SMS.
        _ = try await store.ingest(
            [said("s2", from: "+34600111222", "still waiting", adapter: "sms", channel: "phone", at: t0.addingTimeInterval(180))],
            policy: TestAgents.policy)
        route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.adapter == "sms")
        #expect(route.inReplyToExternalID == "s2")
        // A message stored later but written earlier (an import of old mail) does not take the lead.
        _ = try await store.ingest(
            [said("m0", from: "bea@example.com", "old mail", adapter: "mail", channel: "email", at: t0.addingTimeInterval(30))],
            policy: TestAgents.policy)
        route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.inReplyToExternalID == "s2")
        #expect(try await store.conversationFacts(conversation: conversation, message: nil)?.message?.externalID == "s2")
    }

    @Sendable static func replyGoesThroughTheOutbox(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("ext-1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.adapter == "chat")
        #expect(route.address == "a@x")
        #expect(route.inReplyToExternalID == "ext-1")
        let now = Date()
        let reply = try await store.appendReply(conversation: id, author: "ana", body: "on it", route: route, at: now)
        #expect(reply.delivery?.state == .queued)
        #expect(try await store.conversation(id)?.firstResponseDue == nil)

        var claimed = try await store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60))
        #expect(claimed.map(\.messageID) == [reply.id])
        #expect(claimed.first?.inReplyToExternalID == "ext-1")
        // A claimed delivery is not handed out twice while its lease runs.
        #expect(try await store.claimDeliveries(now: now, limit: 10, claimer: "g2", leaseUntil: now.addingTimeInterval(60)).isEmpty)

        let retryAt = now.addingTimeInterval(5)
        let retried = try await store.completeDelivery(message: reply.id, result: .retry(error: "HTTP 500", retryAt: retryAt), at: now)
        #expect(retried?.delivery == DeliveryInfo(state: .queued, attempts: 1, error: "HTTP 500"))
        #expect(try await store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60)).isEmpty)
        #expect(try await store.nextDeliveryDue().map { abs($0.timeIntervalSince(retryAt)) < 0.001 } == true)

        claimed = try await store.claimDeliveries(now: retryAt, limit: 10, claimer: "g1", leaseUntil: retryAt.addingTimeInterval(60))
        #expect(claimed.first?.attempts == 1)
        let failed = try await store.completeDelivery(message: reply.id, result: .failed(error: "HTTP 500 again"), at: retryAt)
        #expect(failed?.delivery == DeliveryInfo(state: .failed, attempts: 2, error: "HTTP 500 again"))
        #expect(try await store.nextDeliveryDue() == nil)

        let requeued = try await store.retryDelivery(message: reply.id, at: retryAt)
        #expect(requeued?.delivery == DeliveryInfo(state: .queued, attempts: 0, error: nil))
        claimed = try await store.claimDeliveries(now: retryAt, limit: 10, claimer: "g1", leaseUntil: retryAt.addingTimeInterval(60))
        #expect(claimed.count == 1)
        let delivered = try await store.completeDelivery(
            message: reply.id, result: .delivered(DeliveryReceipt(externalID: "platform-9", state: .delivered)), at: retryAt)
        #expect(delivered?.delivery?.state == .delivered)
        #expect(delivered?.externalID == "platform-9")
        // A second completion of the same claim (e.g. after the lease ran out) changes nothing.
        #expect(try await store.completeDelivery(message: reply.id, result: .failed(error: "late"), at: retryAt) == nil)
        // Only a failed reply can be retried.
        #expect(try await store.retryDelivery(message: reply.id, at: retryAt) == nil)
    }

    @Sendable static func anExpiredLeaseIsClaimedAgain(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let now = Date()
        let reply = try await store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: now)
        #expect(try await store.claimDeliveries(now: now, limit: 5, claimer: "dead", leaseUntil: now.addingTimeInterval(30)).count == 1)
        #expect(
            try await store.claimDeliveries(now: now.addingTimeInterval(10), limit: 5, claimer: "g2", leaseUntil: now.addingTimeInterval(40)).isEmpty)
        let again = try await store.claimDeliveries(now: now.addingTimeInterval(31), limit: 5, claimer: "g2", leaseUntil: now.addingTimeInterval(90))
        #expect(again.map(\.messageID) == [reply.id])
    }

    @Sendable static func statusReportsMoveDeliveryForwardOnly(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: Date())
        _ = try await store.claimDeliveries(now: Date(), limit: 1, claimer: "g", leaseUntil: Date().addingTimeInterval(60))
        _ = try await store.completeDelivery(message: reply.id, result: .delivered(DeliveryReceipt(externalID: "p1", state: .sent)), at: Date())
        func report(_ state: DeliveryStatusUpdate.State) -> IngestItem {
            IngestItem(adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "p1", state: state)), receivedAt: Date())
        }
        let outcomes = try await store.ingest([report(.delivered), report(.sent), report(.read)], policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.deliveryUpdated, .deliveryUpdated, .deliveryUpdated])
        #expect(outcomes.map { $0.message?.delivery?.state } == [.delivered, .delivered, .delivered])
        let unknown = try await store.ingest(
            [
                IngestItem(
                    adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "nope", state: .read)), receivedAt: Date())
            ],
            policy: TestAgents.policy)
        #expect(unknown[0].kind == .ignored)
    }
}
