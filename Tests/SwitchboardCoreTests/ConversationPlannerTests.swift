import Foundation
import SwitchboardCore
import Testing

/// What agents do to one conversation: reply, resolve, wait on the customer, close an escalation,
/// call back — and the refusals, decided once for every engine.
@Suite struct ConversationPlannerTests {
    let now = Plans.now

    /// An open conversation with every response clock running and the customer waiting.
    var waiting: ConversationState {
        var state = Plans.conversation()
        state.firstResponseDue = now.addingTimeInterval(-60)
        state.awaitingSince = now.addingTimeInterval(-3700)
        state.slaWarnAt = now.addingTimeInterval(-500)
        state.slaWarned = true
        state.slaBreached = true
        state.reassignedAt = now.addingTimeInterval(-100)
        state.callbackDue = now.addingTimeInterval(600)
        state.resolutionDue = now.addingTimeInterval(7200)
        return state
    }

    let route = ReplyRoute(
        adapter: "wa", address: "+34600000001", threadRef: "chat-9", inReplyTo: 40, inReplyToExternalID: "wamid.1", lastInboundAt: nil,
        quoted: true)

    @Test func aReplyStopsTheResponseClocksAndIsQueued() {
        let plan = ConversationPlanner.reply(waiting, author: "ana", body: "On its way", route: route, at: now)
        let next = plan.state
        #expect(next.firstResponseDue == nil && next.awaitingSince == nil && next.slaWarnAt == nil && next.callbackDue == nil)
        #expect(!next.slaWarned && !next.slaBreached && next.reassignedAt == nil)
        #expect(next.resolutionDue == waiting.resolutionDue, "an answer is not a resolution")
        #expect(next.answeredAt == now, "the customer's next message runs the next-response promise")
        #expect(next.lastMessageAt == now)
        let reply = plan.messages[0]
        #expect(reply.direction == .outbound && reply.author == "ana" && reply.body.text(Plans.ids) == "On its way")
        #expect(reply.inReplyTo == .stored(40))
        #expect(reply.delivery?.state == .queued)
        #expect(reply.outbox == PlannedDelivery(adapter: "wa", inReplyToExternalID: "wamid.1", nextAttemptAt: now, quoted: true))
    }

    @Test func aLaterReplyKeepsTheFirstAnswerTime() {
        var answered = waiting
        answered.answeredAt = now.addingTimeInterval(-900)
        #expect(
            ConversationPlanner.reply(answered, author: "ana", body: "more", route: route, at: now).state.answeredAt == now.addingTimeInterval(-900))
    }

    @Test func resolvingEndsEveryPromiseAndTakesTheConversationOffTheAssigneesLoad() throws {
        var escalated = waiting
        escalated.escalated = true
        let plan = try ConversationPlanner.resolve(escalated, by: "ana", at: now)
        #expect(plan.state.status == .resolved)
        #expect(plan.state.resolvedAt == now)
        #expect(plan.state.firstResponseDue == nil && plan.state.resolutionDue == nil && plan.state.callbackDue == nil)
        #expect(!plan.state.escalated)
        #expect(plan.loads == [.unassigned("ana")])
        #expect(plan.messages.map { $0.body.text(Plans.ids) } == ["Resolved by ana"])
    }

    @Test func resolvingRefusesMergedAndResolvedConversations() {
        let merged = refusal { try ConversationPlanner.resolve(Plans.conversation(status: .merged), by: "ana", at: now) }
        #expect(merged?.status == 409)
        #expect(merged?.code == "merged")
        let resolved = refusal { try ConversationPlanner.resolve(Plans.conversation(status: .resolved), by: "ana", at: now) }
        #expect(resolved?.status == 409)
        #expect(resolved?.code == "already_resolved")
    }

    @Test func pendingKeepsTheOpenTimeLeftOnTheResolutionPromiseAndTheCallBack() throws {
        let plan = try ConversationPlanner.setPending(waiting, true, by: "ana", at: now, hours: .always)
        #expect(plan.state.status == .pending)
        #expect(plan.state.resolutionLeft == 7200)
        #expect(plan.state.resolutionDue == nil)
        #expect(plan.state.firstResponseDue == nil && plan.state.awaitingSince == nil)
        #expect(plan.state.callbackDue == waiting.callbackDue, "a promised call back is still owed")
        #expect(plan.loads.isEmpty, "a pending conversation stays in the assignee's load")
    }

    @Test func openAgainResumesTheResolutionClock() throws {
        let paused = try ConversationPlanner.setPending(waiting, true, by: "ana", at: now, hours: .always).state
        let later = now.addingTimeInterval(86_400)
        let plan = try ConversationPlanner.setPending(paused, false, by: "ana", at: later, hours: .always)
        #expect(plan.state.status == .open)
        #expect(plan.state.resolutionDue == later.addingTimeInterval(7200))
        #expect(plan.messages.map { $0.body.text(Plans.ids) } == ["ana reopened the conversation"])
    }

    @Test func onlyAnOpenConversationCanWaitAndOnlyAPendingOneOpensAgain() {
        for status in [ConversationStatus.pending, .resolved, .merged] {
            let error = refusal { try ConversationPlanner.setPending(Plans.conversation(status: status), true, by: "ana", at: now, hours: .always) }
            #expect(error?.status == 409 && error?.code == "not_open", "\(status)")
        }
        let error = refusal { try ConversationPlanner.setPending(Plans.conversation(status: .open), false, by: "ana", at: now, hours: .always) }
        #expect(error?.status == 409 && error?.code == "not_pending")
    }

    @Test func closingAnEscalationKeepsTheConversationOpenWithTheNote() throws {
        var escalated = Plans.conversation()
        escalated.escalated = true
        let plan = try ConversationPlanner.closeEscalation(escalated, by: "marta", note: "refund approved", at: now)
        #expect(!plan.state.escalated)
        #expect(plan.state.status == .open)
        #expect(plan.messages.map { $0.body.text(Plans.ids) } == ["marta closed the escalation: refund approved"])
        let error = refusal { try ConversationPlanner.closeEscalation(Plans.conversation(), by: "marta", note: nil, at: now) }
        #expect(error?.status == 409 && error?.code == "not_escalated")
    }

    @Test func aCallBackMadeIsTheAnswerTheCustomerWaitedFor() throws {
        let plan = try #require(ConversationPlanner.completeCallback(waiting, by: "ana", at: now))
        #expect(plan.state.callbackDue == nil && plan.state.firstResponseDue == nil && plan.state.awaitingSince == nil)
        #expect(plan.messages.map { $0.body.text(Plans.ids) } == ["Call back made by ana"])
        #expect(ConversationPlanner.completeCallback(Plans.conversation(), by: "ana", at: now) == nil, "none was promised")
    }

    @Test func reassigningMovesTheLoadAndKeepsAnEscalationFlagged() {
        var escalated = Plans.conversation(owner: "ana", assignee: "ana")
        escalated.escalated = true
        let plan = ConversationPlanner.reassign(
            escalated, to: "luis", owner: nil, escalated: false, event: "marta assigned it to luis", author: "marta", at: now)
        #expect(plan.state.owner == "ana")
        #expect(plan.state.assignee == "luis")
        #expect(plan.state.escalated)
        #expect(plan.loads == [.unassigned("ana"), .assigned("luis")])
        let resolved = ConversationPlanner.reassign(
            Plans.conversation(status: .resolved), to: "luis", owner: "luis", escalated: false, event: "x", author: "marta", at: now)
        #expect(resolved.loads.isEmpty, "a resolved conversation is nobody's load")
    }
}
