import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The customer card's contacts per channel, kept as messages are stored (not read from the thread).
extension StoreConformance {
    static let contactCountScenarios: [StoreScenario] = [
        StoreScenario(
            "the customer card counts contacts per channel as they arrive, without automated replies, replies or notes",
            on: contactsPerChannel),
        StoreScenario("contacts per channel follow the messages through a merge and its undoing", on: contactsThroughMerges),
    ]

    @Sendable static func contactsPerChannel(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let day: TimeInterval = 86400
        let first = try await store.ingest([mail("c1", from: "eva@example.com", at: now.addingTimeInterval(-60 * day))], policy: TestAgents.policy)[0]
        _ = try await store.ingest(
            [
                mail("c2", from: "eva@example.com", at: now.addingTimeInterval(-2 * day)),
                // The same address through another adapter of the channel: the same customer.
                mail("g1", from: "eva@example.com", adapter: "gmail", at: now.addingTimeInterval(-3600)),
                mail("auto", from: "eva@example.com", kind: .automated, at: now.addingTimeInterval(-1800)),
            ], policy: TestAgents.policy)
        let other = try await store.ingest([mail("o1", from: "bob@example.com", at: now.addingTimeInterval(-60))], policy: TestAgents.policy)[0]
        let conversation = try #require(first.conversationID)
        _ = try await store.appendInternal(conversation: conversation, direction: .note, author: "ana", body: "a note", at: now)
        let route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: conversation, author: "ana", body: "a reply", route: route, at: now)
        // A duplicate (a platform's retry) and an edit count nothing more.
        _ = try await store.ingest([mail("c2", from: "eva@example.com", at: now)], policy: TestAgents.policy)

        let eva = try #require(try await store.customer(first.customerID!, now: now))
        #expect(eva.contacts == 3)
        #expect(eva.contactsByChannel == ["mail": 2, "gmail": 1])
        #expect(eva.contactsLast30Days == 2, "c2 and g1; c1 is 60 days old, the automated reply is no contact")
        let bob = try #require(try await store.customer(other.customerID!, now: now))
        #expect(bob.contactsByChannel == ["mail": 1] && bob.contactsLast30Days == 1)
        let later = try #require(try await store.customer(first.customerID!, now: now.addingTimeInterval(29 * day)))
        #expect(later.contactsByChannel == ["mail": 2, "gmail": 1] && later.contactsLast30Days == 1)
    }

    @Sendable static func contactsThroughMerges(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let email = try await store.ingest(
            [mail("e1", from: "eva@example.com", at: base), mail("e2", from: "eva@example.com", at: base.addingTimeInterval(10))],
            policy: TestAgents.policy)[0]
        let phone = try await store.ingest(
            [mail("w1", from: "+34600123456", channel: "phone", adapter: "whatsapp", at: base.addingTimeInterval(60))], policy: TestAgents.policy)[0]
        _ = try await store.merge(
            survivor: phone.customerID!, absorbed: email.customerID!, by: "ana", at: base.addingTimeInterval(120), references: testReferences)
        #expect(try await store.customer(phone.customerID!, now: base)?.contactsByChannel == ["mail": 2, "whatsapp": 1])
        #expect(try await store.customer(email.customerID!, now: base)?.contactsByChannel == [:])
        // Arriving while merged, through the absorbed address: counted in the merged thread …
        _ = try await store.ingest([mail("e3", from: "eva@example.com", at: base.addingTimeInterval(180))], policy: TestAgents.policy)
        #expect(try await store.customer(phone.customerID!, now: base)?.contactsByChannel == ["mail": 3, "whatsapp": 1])
        // … and back with its customer when the merge is undone.
        _ = try await store.unmerge(customer: phone.customerID!, by: "marta", at: base.addingTimeInterval(240), references: testReferences)
        #expect(try await store.customer(email.customerID!, now: base)?.contactsByChannel == ["mail": 3])
        #expect(try await store.customer(phone.customerID!, now: base)?.contactsByChannel == ["whatsapp": 1])
    }
}
