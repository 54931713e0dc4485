import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The automatic acknowledgement a new request gets, queued with the message it answers.
extension StoreConformance {
    static let acknowledgementScenarios: [StoreScenario] = [
        StoreScenario("new customers in one group each get one acknowledgement in their thread", on: acknowledgementsInOneGroup),
        StoreScenario("acknowledgements go out once per request and keep the clock running", on: acknowledgementsOncePerRequest),
        StoreScenario("a failed acknowledgement sent again is still an acknowledgement", on: retriedAcknowledgement),
    ]

    /// Acknowledgements queued inside a group: their message rows, written with the group's others,
    /// exist before the outbox row that refers to them.
    @Sendable static func acknowledgementsInOneGroup(_ store: any Store) async throws {
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, quietPeriod: .seconds(600), template: { _, _ in "Hi {customer}, ref {reference}." },
            agent: { _ in ("Agent", TimeZone.gmt) })
        let now = Date()
        let outcomes = try await store.ingest(
            [inbound("a1", from: "a@x", at: now), inbound("b1", from: "b@x", at: now), inbound("a2", from: "a@x", at: now)],
            policy: policy)
        #expect(outcomes.map(\.queuedAcknowledgement) == [true, true, false])
        let claimed = try await store.claimDeliveries(now: now.addingTimeInterval(1), limit: 10, claimer: "t", leaseUntil: now.addingTimeInterval(60))
        #expect(Set(claimed.map(\.inReplyToExternalID)) == ["a1", "b1"])
        // The thread reads in the order things happened: message, assignment, acknowledgement, next message.
        let thread = try #require(try await store.conversation(outcomes[0].conversationID!)).messages
        #expect(thread.map(\.direction) == [.inbound, .event, .outbound, .inbound])
        #expect(thread[2].inReplyTo == thread[0].id && thread[2].body.contains(testReferences.format(outcomes[0].conversationID!)))
        #expect(thread[3].id == outcomes[2].message?.id)
    }

    @Sendable static func acknowledgementsOncePerRequest(_ store: any Store) async throws {
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, quietPeriod: .seconds(600), template: { _, _ in "Hi {customer}, {owner} answers by {due}. Ref {reference}." },
            agent: { id in (id == "ana" ? "Ana García" : "Luis Pérez", TimeZone.gmt) })
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.ingest(
            [
                IngestItem(
                    adapter: "mail",
                    event: .message(
                        InboundMessage(
                            externalID: "1", from: ChannelIdentity(channel: "email", address: "gil@example.com"), customerName: "Gil Moreno",
                            text: "help")),
                    receivedAt: now)
            ], policy: policy)[0]
        #expect(first.queuedAcknowledgement)
        let ack = try #require(first.related.first { $0.direction == .outbound })
        #expect(ack.body.hasPrefix("Hi Gil, "))
        #expect(ack.body.contains(testReferences.format(first.conversationID!)))
        #expect(ack.body.contains(first.owner == "ana" ? "Ana García" : "Luis Pérez"))
        #expect(ack.author == "switchboard")
        let claimed = try await store.claimDeliveries(now: now, limit: 10, claimer: "t", leaseUntil: now.addingTimeInterval(60))
        #expect(claimed.map(\.purpose) == [.acknowledgement])
        #expect(claimed.first?.inReplyToExternalID == "1")
        #expect(try await store.conversation(first.conversationID!)?.firstResponseDue != nil)

        let second = try await store.ingest([mail("2", from: "gil@example.com", at: now.addingTimeInterval(30))], policy: policy)[0]
        #expect(!second.queuedAcknowledgement)
        _ = try await store.resolve(conversation: first.conversationID!, author: "ana", at: now.addingTimeInterval(60))
        let quick = try await store.ingest([mail("3", from: "gil@example.com", at: now.addingTimeInterval(90))], policy: policy)[0]
        #expect(!quick.queuedAcknowledgement)  // reopened, but the customer wrote minutes ago
        _ = try await store.resolve(conversation: first.conversationID!, author: "ana", at: now.addingTimeInterval(100))
        let days = try await store.ingest([mail("4", from: "gil@example.com", at: now.addingTimeInterval(86400))], policy: policy)[0]
        #expect(days.queuedAcknowledgement)
        let auto = try await store.ingest(
            [mail("5", from: "new@example.com", kind: .automated, at: now.addingTimeInterval(86400))], policy: policy)[0]
        #expect(!auto.queuedAcknowledgement)
        // A sender the adapter could not verify is stored and assigned, but gets no automatic answer.
        let unverified = try await store.ingest(
            [
                IngestItem(
                    adapter: "mail",
                    event: .message(
                        InboundMessage(
                            externalID: "6", from: ChannelIdentity(channel: "email", address: "spoofed@example.com"), text: "help",
                            noAutoReply: "the sender was not verified")), receivedAt: now.addingTimeInterval(86400))
            ], policy: policy)[0]
        #expect(unverified.kind == .stored && unverified.owner != nil)
        #expect(!unverified.queuedAcknowledgement)
        #expect(!unverified.related.contains { $0.direction == .outbound })
    }

    @Sendable static func retriedAcknowledgement(_ store: any Store) async throws {
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, template: { _, _ in "Ref {reference}." }, agent: { _ in ("Agent", TimeZone.gmt) })
        let now = Date()
        let first = try await store.ingest([inbound("r1", from: "rita@x", at: now)], policy: policy)[0]
        let ack = try #require(first.related.first { $0.direction == .outbound })
        _ = try await store.claimDeliveries(now: now, limit: 10, claimer: "t", leaseUntil: now.addingTimeInterval(60))
        _ = try await store.completeDelivery(message: ack.id, result: .failed(error: "mailbox full"), at: now)
        #expect(try await store.retryDelivery(message: ack.id, at: now)?.delivery?.state == .queued)
        let again = try await store.claimDeliveries(now: now.addingTimeInterval(1), limit: 10, claimer: "t", leaseUntil: now.addingTimeInterval(60))
        #expect(again.map(\.messageID) == [ack.id])
        #expect(again.map(\.purpose) == [.acknowledgement])
    }
}
