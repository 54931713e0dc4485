import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// The outbox: replies reach the channel, transient failures are retried later, hopeless ones are
/// dead-lettered with the reason on the message, and an agent can send a failed reply again.
/// Retries wait on the test's clock: 60 s, then 120 s (±10 %), three attempts in all.
@Suite struct DeliveryWorkerTests {
    let ana = Viewer(Staff.ana)

    /// A customer of Ana's on `chat` and Ana's reply to them, queued.
    func queuedReply(_ core: CoreOnMemory) async throws -> (reply: MessageRecord, inbound: StoredInbound) {
        let inbound = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann", name: "Ann Lee") }
        let reply = try await core.desk.reply(to: inbound.conversation.id, body: "Your parcel left today", inReplyTo: nil, via: nil, by: ana)
        return (reply, inbound)
    }

    func chat(_ core: CoreOnMemory) -> RecordingAdapter { core.adapters["chat"]!.adapter as! RecordingAdapter }

    @Test func aQueuedReplyIsDeliveredWithItsReferenceAndTag() async throws {
        let core = try await CoreOnMemory()
        let (reply, inbound) = try await queuedReply(core)
        let inbox = EventInbox(core.events, ana)
        let conversation = inbound.conversation.id
        try await running([core.outbox]) {
            let update = try await inbox.next("delivery.updated")
            #expect(update.conversationID == conversation)
        }
        let sent = try #require(chat(core).deliveries.first)
        #expect(chat(core).deliveries.count == 1)
        #expect(sent.id == reply.id)
        #expect(sent.to == "ann")
        #expect(sent.text == "Your parcel left today")
        #expect(sent.inReplyTo == "c1")
        #expect(sent.customerName == "Ann Lee")
        #expect(sent.purpose == .reply)
        #expect(sent.reference == Staff.references.format(conversation))
        #expect(sent.tag == Staff.key.messageTag(reply.id))
        let stored = try await core.message(reply.id, in: conversation)
        #expect(stored.delivery?.state == .delivered)
        #expect(stored.delivery?.attempts == 1)
        #expect(stored.externalID == "chat-out-\(reply.id)", "kept, so the platform's status reports find it")
    }

    @Test func transientFailuresAreRetriedWithGrowingWaitsThenDeadLettered() async throws {
        let core = try await CoreOnMemory()
        let (reply, inbound) = try await queuedReply(core)
        let conversation = inbound.conversation.id
        chat(core).willAnswer([
            DeliveryFailure("platform answered HTTP 503"), DeliveryFailure("platform answered HTTP 503"),
            DeliveryFailure("platform answered HTTP 502"),
        ])
        let start = core.clock.now
        try await running([core.outbox]) {
            try await eventually("the first attempt is recorded") { try await core.message(reply.id, in: conversation).delivery?.attempts == 1 }
            var stored = try await core.message(reply.id, in: conversation)
            #expect(stored.delivery?.state == .queued)
            #expect(stored.delivery?.error == "platform answered HTTP 503")
            let firstRetry = try #require(try await core.store.nextDeliveryDue())
            #expect((54...66).contains(firstRetry.timeIntervalSince(start)))

            core.clock.advance(70)
            core.outbox.wake()
            try await eventually("the second attempt is recorded") { try await core.message(reply.id, in: conversation).delivery?.attempts == 2 }
            let secondRetry = try #require(try await core.store.nextDeliveryDue())
            #expect((108...132).contains(secondRetry.timeIntervalSince(core.clock.now)), "twice the first wait")

            core.clock.advance(140)
            core.outbox.wake()
            try await eventually("the reply is dead-lettered") { try await core.message(reply.id, in: conversation).delivery?.state == .failed }
            stored = try await core.message(reply.id, in: conversation)
            #expect(stored.delivery?.attempts == 3)
            #expect(stored.delivery?.error == "platform answered HTTP 502")
            #expect(try await core.store.nextDeliveryDue() == nil, "nothing left to try")
        }
        #expect(chat(core).deliveries.map(\.attempt) == [0, 1, 2])
        #expect(Set(chat(core).deliveries.map(\.tag)).count == 1, "the same message each time")
    }

    @Test func aRetryAfterLongerThanTheBackoffIsHonoured() async throws {
        let core = try await CoreOnMemory()
        let (reply, inbound) = try await queuedReply(core)
        let conversation = inbound.conversation.id
        chat(core).willAnswer([DeliveryFailure("rate limited", retryAfter: .seconds(3600))])
        let start = core.clock.now
        try await running([core.outbox]) {
            try await eventually("the first attempt is recorded") { try await core.message(reply.id, in: conversation).delivery?.attempts == 1 }
            let next = try #require(try await core.store.nextDeliveryDue())
            #expect(next.timeIntervalSince(start) >= 3600)
            core.clock.advance(3601)
            core.outbox.wake()
            try await eventually("delivered after the wait") { try await core.message(reply.id, in: conversation).delivery?.state == .delivered }
        }
        #expect(chat(core).deliveries.count == 2)
    }

    @Test func aPermanentFailureIsDeadLetteredAtOnceAndAnAgentCanSendItAgain() async throws {
        let core = try await CoreOnMemory()
        let (reply, inbound) = try await queuedReply(core)
        let conversation = inbound.conversation.id
        chat(core).willAnswer([DeliveryFailure("recipient unknown", permanent: true)])
        try await running([core.outbox]) {
            try await eventually("dead-lettered") { try await core.message(reply.id, in: conversation).delivery?.state == .failed }
            let failed = try await core.message(reply.id, in: conversation)
            #expect(failed.delivery?.attempts == 1)
            #expect(failed.delivery?.error == "recipient unknown")

            let requeued = try await core.desk.retry(message: reply.id, by: ana)
            #expect(requeued.delivery == DeliveryInfo(state: .queued, attempts: 0))
            try await eventually("delivered on the second try") { try await core.message(reply.id, in: conversation).delivery?.state == .delivered }
        }
        #expect(chat(core).deliveries.map(\.id) == [reply.id, reply.id])
        #expect(chat(core).deliveries.last?.inReplyTo == "c1", "still threaded under the customer's message")
    }

    @Test func aReplyWhoseAdapterIsGoneFailsWithTheReason() async throws {
        let core = try await CoreOnMemory()
        let (reply, inbound) = try await queuedReply(core)
        let conversation = inbound.conversation.id
        let withoutChat = DeliveryWorker(
            store: core.store, adapters: AdapterRegistry([]), events: core.events, settings: DeliverySettings(), key: Staff.key, claimer: "test",
            now: { core.clock.now }, logger: Logger(label: "test"))
        try await running([withoutChat]) {
            try await eventually("dead-lettered") { try await core.message(reply.id, in: conversation).delivery?.state == .failed }
        }
        #expect(try await core.message(reply.id, in: conversation).delivery?.error == "adapter 'chat' is no longer configured")
    }

    @Test func anAcknowledgementGoesOutMarkedAsSuch() async throws {
        let acks = AcknowledgementPolicy(enabled: true, template: { _, _ in "Thanks, your reference is {reference}." }, agent: { _ in nil })
        let core = try await CoreOnMemory(policy: Plans.policy(acknowledgement: acks))
        let inbound = try await core.receive("c1", from: "ann")
        #expect(inbound.acknowledged)
        try await running([core.outbox]) {
            try await eventually("the acknowledgement is delivered") { !chat(core).deliveries.isEmpty }
        }
        let sent = try #require(chat(core).deliveries.first)
        #expect(sent.purpose == .acknowledgement)
        #expect(sent.inReplyTo == "c1")
        #expect(sent.text == "Thanks, your reference is \(Staff.references.format(inbound.conversation.id)).")
    }
}
