import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Reply-all: the people a customer writes with are the conversation's participants; when one of
/// them writes into it, their mail joins it; a reply keeps whom the agent chose to copy.
extension StoreConformance {
    static let participantScenarios: [StoreScenario] = [
        StoreScenario("participants named by mail are recorded once per conversation, in order", on: participantsAreRecorded),
        StoreScenario("a participant answering the conversation joins it, not a new customer's", on: aParticipantAnsweringJoins),
        StoreScenario("a participant quoting the conversation's reference joins it", on: aParticipantQuotingJoins),
        StoreScenario("someone not recorded, or a resolved conversation, still only gets a suggestion", on: othersOnlyGetASuggestion),
        StoreScenario("merges carry participants and erasure removes them", on: participantsMergeAndErase),
        StoreScenario("a participant split off no longer joins", on: aParticipantSplitOffNoLongerJoins),
        StoreScenario("a reply keeps whom the agent chose to copy, through the outbox", on: aReplyKeepsItsCopies),
    ]

    /// A mail from `from` that also named `participants` (as the e-mail adapter lists them).
    static func teamMail(
        _ id: String, from: String, participants: [String], text: String = "hello", subject: String? = nil, references: [String] = [],
        at: Date = Date()
    ) -> IngestItem {
        var metadata: [String: String] = [:]
        if !participants.isEmpty { metadata[InboundMessage.participantsKey] = participants.joined(separator: ", ") }
        metadata["subject"] = subject
        return IngestItem(
            adapter: "mail",
            event: .message(
                InboundMessage(
                    externalID: id, from: ChannelIdentity(channel: "email", address: from), text: text, metadata: metadata,
                    references: references)),
            receivedAt: at)
    }

    @Sendable static func participantsAreRecorded(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.ingest(
            [teamMail("p1", from: "ann@team.example", participants: ["carol@team.example", "Bob@Team.example"], at: t0)],
            policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        _ = try await store.ingest(
            [teamMail("p2", from: "ann@team.example", participants: ["bob@team.example", "dan@team.example"], at: t0.addingTimeInterval(60))],
            policy: TestAgents.policy)
        let people = try await store.participants(conversation: id)
        #expect(people.map(\.address) == ["bob@team.example", "carol@team.example", "dan@team.example"])
        #expect(people.allSatisfy { $0.channel == "email" })
        #expect(people.map(\.addedAt) == [t0, t0, t0.addingTimeInterval(60)])
        // A chat message names nobody; another customer's conversation has nobody of Ann's.
        let other = try await store.ingest([inbound("c1", from: "zoe")], policy: TestAgents.policy)[0]
        #expect(try await store.participants(conversation: other.conversationID!).isEmpty)
    }

    @Sendable static func aParticipantAnsweringJoins(_ store: any Store) async throws {
        let ann = try await store.ingest([teamMail("j1", from: "ann@team.example", participants: ["bob@team.example"])], policy: TestAgents.policy)[0]
        // Bob answers Ann's mail (reply-all), naming Ann and Carol.
        let bob = try await store.ingest(
            [teamMail("j2", from: "bob@team.example", participants: ["ann@team.example", "carol@team.example"], references: ["j1"])],
            policy: TestAgents.policy)[0]
        #expect(bob.kind == .stored)
        #expect(bob.conversationID == ann.conversationID)
        #expect(bob.customerID == ann.customerID)
        #expect(bob.related.allSatisfy { !$0.body.contains("merge customer") })
        #expect(bob.related.contains { $0.direction == .event && $0.body.contains("bob@team.example") })
        let detail = try #require(try await store.conversation(ann.conversationID!))
        #expect(detail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["j1", "j2"])
        #expect(detail.messages.last { $0.direction == .inbound }?.inReplyTo == ann.messageID)
        // Bob is not made an identity of Ann's customer, nor a customer of his own.
        #expect(detail.customer.identities.map(\.address) == ["ann@team.example"])
        #expect(try await store.searchCustomers("bob@", viewer: Viewer(TestAgents.marta), limit: 10).isEmpty)
        // Whom he named are participants now too.
        #expect(try await store.participants(conversation: ann.conversationID!).map(\.address).contains("carol@team.example"))
        // A reply now answers Bob's mail, where the thread is.
        let route = try await store.replyRoute(conversation: ann.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil)
        #expect(route?.address == "bob@team.example")
    }

    @Sendable static func aParticipantQuotingJoins(_ store: any Store) async throws {
        let ann = try await store.ingest([teamMail("q1", from: "ann@team.example", participants: ["bob@team.example"])], policy: TestAgents.policy)[0]
        let reference = testReferences.format(ann.conversationID!)
        let bob = try await store.ingest(
            [teamMail("q2", from: "bob@team.example", participants: [], text: "About \(reference): any news?")], policy: TestAgents.policy)[0]
        #expect(bob.conversationID == ann.conversationID)
        #expect(bob.customerID == ann.customerID)
        // Carol is a customer of her own already; named by Ann later, her mail quoting Ann's reference
        // in its subject joins Ann's conversation too, while her own chat-like message stays hers.
        let carol = try await store.ingest([teamMail("q3", from: "carol@team.example", participants: [])], policy: TestAgents.policy)[0]
        _ = try await store.ingest([teamMail("q4", from: "ann@team.example", participants: ["carol@team.example"])], policy: TestAgents.policy)
        let quoting = try await store.ingest(
            [teamMail("q5", from: "carol@team.example", participants: [], subject: "Re: Our order [\(reference)]")], policy: TestAgents.policy)[0]
        #expect(quoting.conversationID == ann.conversationID)
        let fresh = try await store.ingest([teamMail("q6", from: "carol@team.example", participants: [])], policy: TestAgents.policy)[0]
        #expect(fresh.conversationID == carol.conversationID)
    }

    @Sendable static func othersOnlyGetASuggestion(_ store: any Store) async throws {
        let ann = try await store.ingest([teamMail("s1", from: "ann@team.example", participants: ["bob@team.example"])], policy: TestAgents.policy)[0]
        // Eve was never named: her answer is her own conversation, with the suggestion as before.
        let eve = try await store.ingest([teamMail("s2", from: "eve@else.example", participants: [], references: ["s1"])], policy: TestAgents.policy)[
            0]
        #expect(eve.conversationID != ann.conversationID)
        #expect(eve.related.contains { $0.body.contains("merge customer \(eve.customerID!) into customer \(ann.customerID!)") })
        // Once Ann's conversation is resolved, Bob's answer starts his own (suggested, not joined).
        _ = try await store.resolve(conversation: ann.conversationID!, author: "ana", at: Date())
        let bob = try await store.ingest([teamMail("s3", from: "bob@team.example", participants: [], references: ["s1"])], policy: TestAgents.policy)[
            0]
        #expect(bob.conversationID != ann.conversationID)
        #expect(bob.related.contains { $0.body.contains("merge customer \(bob.customerID!) into customer \(ann.customerID!)") })
        #expect(try #require(try await store.conversation(ann.conversationID!)).status == .resolved)
    }

    @Sendable static func participantsMergeAndErase(_ store: any Store) async throws {
        let ann = try await store.ingest([teamMail("m1", from: "ann@team.example", participants: ["bob@team.example"])], policy: TestAgents.policy)[0]
        let ann2 = try await store.ingest(
            [teamMail("m2", from: "ann.home@else.example", participants: ["carol@team.example"])], policy: TestAgents.policy)[0]
        _ = try await store.merge(survivor: ann.customerID!, absorbed: ann2.customerID!, by: "marta", at: Date(), references: testReferences)
        #expect(try await store.participants(conversation: ann.conversationID!).map(\.address) == ["bob@team.example", "carol@team.example"])
        _ = try await CustomerErasure(store: store, now: { Date() }).erase(ann.customerID!, reason: "asked by the customer", by: "marta")
        #expect(try await store.participants(conversation: ann.conversationID!).isEmpty)
    }

    @Sendable static func aParticipantSplitOffNoLongerJoins(_ store: any Store) async throws {
        let ann = try await store.ingest(
            [teamMail("x1", from: "ann@team.example", participants: ["bob@team.example", "carol@team.example"])], policy: TestAgents.policy)[0]
        let id = ann.conversationID!
        #expect(try await store.removeParticipant(conversation: id, channel: "email", address: "bob@team.example"))
        #expect(!(try await store.removeParticipant(conversation: id, channel: "email", address: "bob@team.example")), "once")
        #expect(try await store.participants(conversation: id).map(\.address) == ["carol@team.example"])
        let bob = try await store.ingest([teamMail("x2", from: "bob@team.example", participants: [], references: ["x1"])], policy: TestAgents.policy)[
            0]
        #expect(bob.conversationID != id)
        #expect(bob.related.contains { $0.body.contains("merge customer \(bob.customerID!) into customer \(ann.customerID!)") })
        let carol = try await store.ingest(
            [teamMail("x3", from: "carol@team.example", participants: [], references: ["x1"])], policy: TestAgents.policy)[0]
        #expect(carol.conversationID == id)
    }

    @Sendable static func aReplyKeepsItsCopies(_ store: any Store) async throws {
        let ann = try await store.ingest([teamMail("r1", from: "ann@team.example", participants: ["bob@team.example"])], policy: TestAgents.policy)[0]
        let id = ann.conversationID!
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let chosen = try await store.appendReply(
            conversation: id, author: "ana", body: "one", route: route, metadata: ReplyCopies.metadata(["carol@team.example", "dan@team.example"]),
            at: Date())
        let nobody = try await store.appendReply(
            conversation: id, author: "ana", body: "two", route: route, metadata: ReplyCopies.metadata([]), at: Date())
        let standard = try await store.appendReply(conversation: id, author: "ana", body: "three", route: route, at: Date())
        #expect(chosen.metadata?[ReplyCopies.key] == "carol@team.example, dan@team.example")
        let claimed = try await store.claimDeliveries(
            now: Date().addingTimeInterval(1), limit: 10, claimer: "t", leaseUntil: Date().addingTimeInterval(60))
        let copies = Dictionary(uniqueKeysWithValues: claimed.map { ($0.messageID, ReplyCopies.chosen(in: $0.metadata)) })
        #expect(copies[chosen.id] == .some(["carol@team.example", "dan@team.example"]))
        #expect(copies[nobody.id] == .some([]))
        #expect(copies[standard.id] == .some(nil))
        #expect(claimed.first { $0.messageID == standard.id }?.inReplyToMetadata[InboundMessage.participantsKey] == "bob@team.example")
    }
}
