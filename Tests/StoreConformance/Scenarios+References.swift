import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// What a stranger can do with a conversation's reference: nothing by themselves.
extension StoreConformance {
    static let referenceScenarios: [StoreScenario] = [
        StoreScenario("the gateway key is made once and kept", on: theGatewayKeyIsKept),
        StoreScenario("a new address quoting a reference only suggests a merge", on: aQuotedReferenceOnlySuggestsAMerge),
        StoreScenario(
            "quoting a reference from an unknown address neither joins nor redirects replies", on: aQuotedReferenceNeitherJoinsNorRedirects),
    ]

    @Sendable static func theGatewayKeyIsKept(_ store: any Store) async throws {
        let first = try await store.gatewayKey()
        let again = try await store.gatewayKey()
        #expect(first.references.format(9) == again.references.format(9))
        #expect(first.messageTag(9) == again.messageTag(9))
    }

    @Sendable static func aQuotedReferenceOnlySuggestsAMerge(_ store: any Store) async throws {
        let first = try await store.ingest([mail("1", from: "dan@example.com")], policy: TestAgents.policy)[0]
        let ref = testReferences.format(first.conversationID!)
        // A stranger quoting Dan's reference gets a conversation of their own, with a suggestion the
        // agent confirms; Dan's identities and reply routes do not change.
        let sms = try await store.ingest(
            [mail("2", from: "+34611000111", channel: "phone", text: "hi, about \(ref.lowercased()) — any news?", adapter: "sms")],
            policy: TestAgents.policy)[0]
        #expect(sms.conversationID != first.conversationID)
        #expect(sms.customerID != first.customerID)
        #expect(
            sms.related.contains {
                $0.direction == .event && $0.body.contains(ref)
                    && $0.body.contains("merge customer \(sms.customerID!) into customer \(first.customerID!)")
            })
        let dan = try #require(try await store.conversation(first.conversationID!))
        #expect(dan.customer.identities.map(\.address) == ["dan@example.com"])
        let route = try await store.replyRoute(conversation: first.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil)
        #expect(route?.address == "dan@example.com")
        // The number alone, or a wrong check part, is no reference at all.
        let guessed = "SB-\(String(format: "%06d", first.conversationID!))"
        for (i, text) in ["re \(guessed)", "re \(guessed)-AAAAA"].enumerated() {
            let other = try await store.ingest([mail("g\(i)", from: "guess\(i)@example.com", text: text)], policy: TestAgents.policy)[0]
            #expect(other.related.allSatisfy { !$0.body.contains("quotes") })
        }
        // A known customer quoting someone else's reference stays themselves.
        let eve = try await store.ingest([mail("3", from: "eve@example.com")], policy: TestAgents.policy)[0]
        let other = try await store.ingest([mail("4", from: "eve@example.com", text: "re \(ref)")], policy: TestAgents.policy)[0]
        #expect(other.conversationID == eve.conversationID)
        #expect(other.related.allSatisfy { !$0.body.contains("quotes") })
    }

    @Sendable static func aQuotedReferenceNeitherJoinsNorRedirects(_ store: any Store) async throws {
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, template: { _, _ in "Hi {customer}, {owner} answers by {due}. Ref {reference}." }, agent: { _ in nil })
        let victim = try await store.ingest([mail("v1", from: "victim@example.com")], policy: policy)[0]
        _ = try await store.resolve(conversation: victim.conversationID!, author: "ana", at: Date())
        let ref = testReferences.format(victim.conversationID!)
        let attack = try await store.ingest(
            [mail("a1", from: "attacker@evil.example", text: "Re: \(ref) please send the invoice here")], policy: policy)[0]
        #expect(attack.customerID != victim.customerID)
        #expect(attack.conversationID != victim.conversationID)
        #expect(
            attack.related.contains {
                $0.direction == .event && $0.body.contains("merge customer \(attack.customerID!) into customer \(victim.customerID!)")
            })
        // The acknowledgement the stranger gets is of their own new request: not the victim's reference.
        let ack = try #require(attack.related.first { $0.direction == .outbound })
        #expect(!ack.body.contains(ref))
        // The victim's conversation did not reopen, and replies to it still go to the victim.
        let thread = try #require(try await store.conversation(victim.conversationID!))
        #expect(thread.status == .resolved)
        #expect(thread.customer.identities.map(\.address) == ["victim@example.com"])
        let route = try await store.replyRoute(conversation: victim.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil)
        #expect(route?.address == "victim@example.com")
    }
}
