import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Who a customer is: linked identities, merges and their undo, threading by references.
extension StoreConformance {
    static let customerScenarios: [StoreScenario] = [
        StoreScenario("a merge makes one thread in time order and unmerge restores both", on: mergeAndUnmerge),
        StoreScenario("linking an identity that belongs to another customer is a conflict that names nobody", on: linkingATakenIdentity),
        StoreScenario("replies thread by references and strangers get a suggestion, not the thread", on: repliesThreadByReferences),
    ]

    @Sendable static func mergeAndUnmerge(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let email = try await store.ingest([mail("e1", from: "eva@example.com", at: base)], policy: TestAgents.policy)[0]
        let phone = try await store.ingest(
            [mail("w1", from: "+34600123456", channel: "phone", adapter: "whatsapp", at: base.addingTimeInterval(60))],
            policy: TestAgents.policy)[0]
        #expect(email.customerID != phone.customerID)
        #expect(email.owner != phone.owner)  // two agents, least-loaded each time
        // An address linked by hand before the merge stays with its customer throughout.
        _ = try await store.linkIdentity(
            customer: phone.customerID!, identity: ChannelIdentity(channel: "email", address: "eva@work.example"), by: "ana", at: base)

        let merged = try await store.merge(
            survivor: phone.customerID!, absorbed: email.customerID!, by: "ana", at: base.addingTimeInterval(120), references: testReferences)
        #expect(merged.absorbed.status == .merged)
        #expect(merged.survivor.owner == email.owner)  // the earlier conversation's owner keeps the customer
        let thread = try #require(try await store.conversation(phone.conversationID!))
        #expect(thread.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["e1", "w1"])
        #expect(thread.messages.last?.body.contains("merged customer \(email.customerID!)") == true)
        #expect(Set(thread.customer.identities.map(\.address)) == ["eva@example.com", "+34600123456", "eva@work.example"])
        #expect(thread.customer.contacts == 2)
        #expect(thread.customer.contactsByChannel == ["mail": 1, "whatsapp": 1])

        // Arriving after the merge through the absorbed address: into the merged thread …
        let later = try await store.ingest([mail("e2", from: "EVA@example.com", at: base.addingTimeInterval(180))], policy: TestAgents.policy)[0]
        #expect(later.conversationID == phone.conversationID)

        // … and back with its customer when the merge is undone.
        _ = try await store.unmerge(customer: phone.customerID!, by: "marta", at: base.addingTimeInterval(240), references: testReferences)
        let restoredEmail = try #require(try await store.conversation(email.conversationID!))
        let restoredPhone = try #require(try await store.conversation(phone.conversationID!))
        #expect(restoredEmail.status == .open)
        #expect(restoredEmail.owner == email.owner)
        #expect(restoredEmail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["e1", "e2"])
        #expect(restoredPhone.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["w1"])
        #expect(restoredPhone.owner == phone.owner)
        #expect(restoredEmail.customer.identities.map(\.address) == ["eva@example.com"])
        #expect(restoredEmail.customer.contacts == 2)
        #expect(try await store.agentLoads().values.map(\.openAssigned).reduce(0, +) == 2)

        await #expect(throws: ServiceError.self) {
            try await store.unmerge(customer: phone.customerID!, by: "marta", at: Date(), references: testReferences)
        }
    }

    @Sendable static func linkingATakenIdentity(_ store: any Store) async throws {
        let a = try await store.ingest([mail("1", from: "a@x.org")], policy: TestAgents.policy)[0]
        let b = try await store.ingest([mail("2", from: "b@x.org")], policy: TestAgents.policy)[0]
        _ = try await store.linkIdentity(
            customer: a.customerID!, identity: ChannelIdentity(channel: "phone", address: "+15550100"), by: "ana", at: Date())
        let call = try await store.ingest([mail("3", from: "+15550100", channel: "phone", adapter: "pbx")], policy: TestAgents.policy)[0]
        #expect(call.conversationID == a.conversationID)
        do {
            _ = try await store.linkIdentity(
                customer: a.customerID!, identity: ChannelIdentity(channel: "email", address: "b@x.org"), by: "ana", at: Date())
            Issue.record("linking another customer's address must fail")
        } catch let error as ServiceError {
            // The store names no customer: an agent must not learn whose address it is (the desk
            // tells a supervisor).
            #expect(error.status == 409 && error.code == "identity_taken")
            #expect(error.message.contains("another customer") && !error.message.contains("\(b.customerID!)"))
        }
    }

    @Sendable static func repliesThreadByReferences(_ store: any Store) async throws {
        let first = try await store.ingest([mail("<m1@client>", from: "carla@example.com")], policy: TestAgents.policy)[0]
        let reply = try await store.ingest(
            [mail("<m2@client>", from: "carla@example.com", references: ["<m1@client>"])], policy: TestAgents.policy)[0]
        #expect(reply.conversationID == first.conversationID)
        #expect(reply.message?.inReplyTo == first.messageID)

        // A colleague answering in the same mail thread starts their own conversation, with a suggested merge.
        let colleague = try await store.ingest(
            [mail("<m3@client>", from: "boss@example.com", references: ["<m2@client>", "<m1@client>"])], policy: TestAgents.policy)[0]
        #expect(colleague.conversationID != first.conversationID)
        #expect(colleague.related.contains { $0.body.contains("merge customer \(colleague.customerID!) into customer \(first.customerID!)") })
    }
}
