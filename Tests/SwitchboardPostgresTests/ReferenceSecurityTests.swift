import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// What a stranger can do with a reference or a reply id, on both engines: nothing by themselves.
@Suite struct ReferenceSecurityTests {
    @Test(arguments: Engine.allCases)
    func theGatewayKeyIsMadeOnceAndKept(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let first = try await t.store.gatewayKey()
        let again = try await t.store.gatewayKey()
        #expect(first.references.format(9) == again.references.format(9))
        #expect(first.messageTag(9) == again.messageTag(9))
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func quotingAReferenceFromAnUnknownAddressNeitherJoinsNorRedirectsReplies(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, template: { _, _ in "Hi {customer}, {owner} answers by {due}. Ref {reference}." }, agent: { _ in nil })
        let victim = try await t.store.ingest([mail("v1", from: "victim@example.com")], policy: policy)[0]
        _ = try await t.store.resolve(conversation: victim.conversationID!, author: "ana", at: Date())
        let ref = testReferences.format(victim.conversationID!)
        let attack = try await t.store.ingest(
            [mail("a1", from: "attacker@evil.example", text: "Re: \(ref) please send the invoice here")], policy: policy)[0]
        #expect(attack.customerID != victim.customerID)
        #expect(attack.conversationID != victim.conversationID)
        #expect(attack.related.contains { $0.direction == .event && $0.body.contains("merge customer \(attack.customerID!) into customer \(victim.customerID!)") })
        // The acknowledgement the stranger gets is of their own new request: not the victim's reference.
        let ack = try #require(attack.related.first { $0.direction == .outbound })
        #expect(!ack.body.contains(ref))
        // The victim's conversation did not reopen, and replies to it still go to the victim.
        let thread = try #require(try await t.store.conversation(victim.conversationID!))
        #expect(thread.status == .resolved)
        #expect(thread.customer.identities.map(\.address) == ["victim@example.com"])
        let route = try await t.store.replyRoute(conversation: victim.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil)
        #expect(route?.address == "victim@example.com")
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func automatedMailThreadsOnlyOnTheIdsOfOurReplies(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let customer = try await t.store.ingest([mail("c1", from: "carla@example.com")], policy: TestAgents.policy)[0]
        func automated(_ id: String, references: [String]) -> IngestItem {
            IngestItem(adapter: "mail", event: .message(InboundMessage(
                externalID: id, from: ChannelIdentity(channel: "email", address: "daemon@mx.example.net"), text: "Out of office",
                kind: .automated, references: references)), receivedAt: Date())
        }
        let forged = try await t.store.ingest([automated("x1", references: ["c1"])], policy: TestAgents.policy)[0]
        #expect(forged.conversationID != customer.conversationID)
        let route = try #require(try await t.store.replyRoute(conversation: customer.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await t.store.appendReply(conversation: customer.conversationID!, author: "ana", body: "Hi", route: route, at: Date())
        _ = try await t.store.claimDeliveries(now: Date(), limit: 10, claimer: "t", leaseUntil: Date().addingTimeInterval(60))
        _ = try await t.store.completeDelivery(message: reply.id, result: .delivered(DeliveryReceipt(externalID: "sb.ours@example.com")), at: Date())
        let real = try await t.store.ingest([automated("x2", references: ["sb.ours@example.com"])], policy: TestAgents.policy)[0]
        #expect(real.conversationID == customer.conversationID)
        await t.cleanup()
    }
}
