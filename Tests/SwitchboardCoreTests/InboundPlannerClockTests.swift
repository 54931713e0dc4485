import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// The promises a customer's message starts: first or next response, the 80 % warning, call backs,
/// all counted in business hours.
@Suite struct InboundPlannerClockTests {
    let now = Plans.now

    @Test func aNewRequestRunsTheFirstResponsePromiseWithItsWarningAtEightyPercent() throws {
        let plan = try Plans.stored(Plans.message(), policy: Plans.policy(firstResponse: .seconds(3600), nextResponse: .seconds(600)))
        #expect(plan.conversation.firstResponseDue == now.addingTimeInterval(3600))
        #expect(plan.conversation.slaWarnAt == now.addingTimeInterval(2880))
        #expect(plan.conversation.awaitingSince == now)
    }

    @Test func aCustomerWritingAgainAfterAnAnswerRunsTheNextResponsePromise() throws {
        var answered = Plans.conversation()
        answered.answeredAt = now.addingTimeInterval(-600)
        let plan = try Plans.stored(
            Plans.message(), Plans.returning(answered), policy: Plans.policy(firstResponse: .seconds(3600), nextResponse: .seconds(600)))
        #expect(plan.conversation.firstResponseDue == now.addingTimeInterval(600))
        #expect(plan.conversation.slaWarnAt == now.addingTimeInterval(480))
    }

    @Test func anotherMessageWhileWaitingDoesNotPushThePromiseOut() throws {
        var waiting = Plans.conversation()
        waiting.firstResponseDue = now.addingTimeInterval(100)
        waiting.slaWarnAt = now.addingTimeInterval(50)
        waiting.awaitingSince = now.addingTimeInterval(-3500)
        let plan = try Plans.stored(Plans.message("m2"), Plans.returning(waiting))
        #expect(plan.conversation.firstResponseDue == now.addingTimeInterval(100))
        #expect(plan.conversation.slaWarnAt == now.addingTimeInterval(50))
        #expect(
            plan.conversation.awaitingSince == now.addingTimeInterval(-3500), "the reassignment timer keeps running from the first unanswered message"
        )
    }

    @Test func promisesStandStillOutsideBusinessHours() throws {
        let shift = try Schedule.parseShift("mon-fri 09:00-17:00").get()
        let hours = BusinessHours(schedule: Schedule(shifts: [shift], timeZone: .gmt))
        let fridayEvening = try Date("2027-01-15T16:30:00Z", strategy: .iso8601)
        let plan = try Plans.stored(Plans.message(), policy: Plans.policy(firstResponse: .seconds(3600), hours: hours), at: fridayEvening)
        // Half an hour on Friday, the other half on Monday morning.
        #expect(plan.conversation.firstResponseDue == (try Date("2027-01-18T09:30:00Z", strategy: .iso8601)))
        #expect(plan.conversation.slaWarnAt == (try Date("2027-01-18T09:18:00Z", strategy: .iso8601)))
    }

    @Test func aMissedCallPromisesACallBackAndTheEarlierDueTimeWins() throws {
        let policy = Plans.policy(firstResponse: .seconds(3600), callbackWithin: .seconds(900))
        let plan = try Plans.stored(Plans.message(requestsCallback: true), loads: Plans.loads(["ana": 1, "bea": 1]), policy: policy)
        #expect(plan.conversation.callbackDue == now.addingTimeInterval(900))
        #expect(plan.conversation.firstResponseDue == now.addingTimeInterval(900), "calling back is the answer owed")
        #expect(plan.conversation.slaWarnAt == now.addingTimeInterval(720))
        #expect(plan.texts.contains("Call back promised by 2027-01-15T08:15:00Z (owner luis)"))
    }

    @Test func aCallBackAllowedLongerThanTheFirstResponseLeavesTheResponsePromiseAlone() throws {
        let policy = Plans.policy(firstResponse: .seconds(3600), callbackWithin: .seconds(4 * 3600))
        let plan = try Plans.stored(Plans.message(requestsCallback: true), policy: policy)
        #expect(plan.conversation.callbackDue == now.addingTimeInterval(4 * 3600))
        #expect(plan.conversation.firstResponseDue == now.addingTimeInterval(3600))
    }

    @Test func aSecondMissedCallKeepsTheCallBackAlreadyPromised() throws {
        var promised = Plans.conversation()
        promised.callbackDue = now.addingTimeInterval(300)
        let plan = try Plans.stored(
            Plans.message("call-2", requestsCallback: true), Plans.returning(promised), policy: Plans.policy(callbackWithin: .seconds(900)))
        #expect(plan.conversation.callbackDue == now.addingTimeInterval(300))
        #expect(plan.texts.contains("Call back promised by 2027-01-15T08:05:00Z (owner ana)"))
    }
}
