import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// When the gateway answers a new request by itself, and what it says.
@Suite struct InboundPlannerAcknowledgementTests {
    let now = Plans.now

    /// Acknowledges through every adapter but `no-replies`, whose channel refuses such a reply.
    /// A fresh policy per test: the limits per address are counted per policy.
    func acknowledging(quietPeriod: Duration = .seconds(600)) -> IngestPolicy {
        Plans.policy(
            acknowledgement: AcknowledgementPolicy(
                enabled: true, quietPeriod: quietPeriod,
                template: { adapter, _ in adapter == "no-replies" ? nil : "Hi {customer}, {owner} will answer by {due}. Reference {reference}." },
                agent: { id in id == "luis" ? ("Luis Gómez", TimeZone(identifier: "Europe/Madrid")!) : nil }))
    }

    @Test func aNewRequestIsAcknowledgedWithTheReferenceTheOwnerAndTheDueTime() throws {
        let plan = try Plans.stored(
            Plans.message(name: "Ann Lee"), loads: Plans.loads(["ana": 1, "bea": 1]), policy: acknowledging())
        let index = try #require(plan.acknowledgement)
        let ack = plan.messages[index]
        #expect(ack.direction == .outbound)
        #expect(ack.adapter == "mail")
        #expect(ack.address == "ann@example.com")
        #expect(ack.inReplyTo == .planned(0), "it answers the customer's message of the same plan")
        #expect(ack.outbox?.purpose == .acknowledgement)
        #expect(ack.outbox?.inReplyToExternalID == "m1")
        #expect(ack.delivery?.state == .queued)
        // Due at 09:00 UTC, shown in the owner's time zone.
        #expect(ack.body.text(Plans.ids) == "Hi Ann, Luis Gómez will answer by Fri 15 Jan, 10:00 GMT+1. Reference \(Staff.references.format(7)).")
        #expect(plan.conversation.lastAcknowledgedAt == now)
    }

    @Test func theNextMessageOfAnOpenRequestIsNotAcknowledged() throws {
        let plan = try Plans.stored(Plans.message("m2"), Plans.returning(Plans.conversation()), policy: acknowledging())
        #expect(plan.acknowledgement == nil)
        #expect(plan.messages.allSatisfy { $0.direction != .outbound })
    }

    @Test func aReopenedRequestIsAcknowledgedOnlyAfterTheQuietPeriod() throws {
        let resolved = Plans.conversation(status: .resolved)
        let soon = try Plans.stored(
            Plans.message("m2"), Plans.returning(resolved, lastContactAt: now.addingTimeInterval(-300)), policy: acknowledging())
        #expect(soon.conversation.status == .open, "reopened all the same")
        #expect(soon.acknowledgement == nil, "a quick 'thanks!' after the resolution gets no second form reply")
        let later = try Plans.stored(
            Plans.message("m3"), Plans.returning(resolved, lastContactAt: now.addingTimeInterval(-660)), policy: acknowledging())
        #expect(later.acknowledgement != nil)
    }

    @Test func noAcknowledgementWhereTheChannelWouldRefuseIt() throws {
        let plan = try Plans.stored(Plans.message(), policy: acknowledging(), adapter: "no-replies")
        #expect(plan.acknowledgement == nil)
        #expect(plan.conversation.lastAcknowledgedAt == nil)
    }

    @Test func noAcknowledgementToASenderTheAdapterCouldNotVerify() throws {
        let plan = try Plans.stored(Plans.message(noAutoReply: "no SPF, DKIM or DMARC pass"), policy: acknowledging())
        #expect(plan.acknowledgement == nil)
        #expect(plan.conversation.owner != nil, "the request is routed all the same")
    }

    @Test func noAcknowledgementWhenSwitchedOff() throws {
        let plan = try Plans.stored(Plans.message(), policy: Plans.policy(acknowledgement: .off))
        #expect(plan.acknowledgement == nil)
    }
}
