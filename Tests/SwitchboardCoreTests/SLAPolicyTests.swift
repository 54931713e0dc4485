import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// SLA policies: which one a conversation gets and why, and what its clocks become.
@Suite struct SLAPolicyTests {
    static let policies = [
        SLAPolicy(id: "urgent", when: .init(priorities: [.urgent, .high]), firstResponse: .seconds(900), resolution: .seconds(4 * 3600)),
        SLAPolicy(
            id: "gold-whatsapp", when: .init(adapters: ["wa"], context: [ContextMatch(provider: "shop", path: ["tier"], values: ["gold"])]),
            firstResponse: .seconds(1800)),
        SLAPolicy(id: "email", when: .init(channels: ["email"]), nextResponse: .seconds(7200)),
    ]

    static func policy(_ policies: [SLAPolicy] = policies) -> IngestPolicy {
        var policy = Plans.policy(firstResponse: .seconds(3600))
        policy.slaPolicies = policies
        return policy
    }

    @Test func theFirstPolicyWhoseConditionsHoldIsChosenWithItsReason() {
        let sla = Self.policy().sla
        let urgent = sla.choose(SLAFacts(priority: .high, adapter: "mail", channel: "email"))
        #expect(urgent.id == "urgent")
        #expect(urgent.reason == "policy 'urgent' applies: priority is high")
        #expect(urgent.firstResponse == .seconds(900))
        #expect(urgent.nextResponse == .seconds(900), "next response defaults to the policy's first response")
        #expect(urgent.resolution == .seconds(4 * 3600))

        let gold = sla.choose(SLAFacts(priority: .normal, adapter: "wa", channel: "whatsapp", context: ["shop": .object(["tier": .string("Gold")])]))
        #expect(gold.id == "gold-whatsapp")
        #expect(gold.reason == "policy 'gold-whatsapp' applies: adapter is wa, shop.tier is Gold")
        // Unknown context data never matches.
        #expect(sla.choose(SLAFacts(priority: .normal, adapter: "wa", channel: "whatsapp")).id == SLAPolicies.defaultID)

        let email = sla.choose(SLAFacts(priority: .low, adapter: "mail", channel: "email"))
        #expect(email.id == "email")
        #expect(email.firstResponse == .seconds(3600), "clocks a policy leaves out come from the default clocks")
        #expect(email.nextResponse == .seconds(7200))

        let none = sla.choose(SLAFacts(priority: .normal, adapter: "chat", channel: "chat"))
        #expect(none.id == SLAPolicies.defaultID)
        #expect(none.reason.hasPrefix("no policy's conditions hold"))
        #expect(Self.policy([]).sla.choose(SLAFacts(priority: .urgent, adapter: nil, channel: nil)).reason.hasPrefix("the default clocks"))
    }

    @Test func aMessagesPriorityChoosesThePolicyOfItsConversation() throws {
        var message = Plans.message()
        message.priority = .urgent
        let plan = try Plans.stored(message, policy: Self.policy())
        #expect(plan.conversation.priority == .urgent)
        #expect(plan.conversation.slaPolicy == "urgent")
        #expect(plan.conversation.firstResponseDue == Plans.now.addingTimeInterval(900))
        #expect(plan.conversation.resolutionDue == Plans.now.addingTimeInterval(4 * 3600))

        let plain = try Plans.stored(Plans.message(), policy: Self.policy())
        #expect(plain.conversation.priority == .normal)
        #expect(plain.conversation.slaPolicy == "email")
        #expect(plain.conversation.firstResponseDue == Plans.now.addingTimeInterval(3600))
    }

    @Test func aLaterMessageRaisesThePriorityButNeverLowersIt() {
        #expect(SLAPlanner.priority(.normal, message: .high, startsRequest: false) == .high)
        #expect(SLAPlanner.priority(.urgent, message: .low, startsRequest: false) == .urgent)
        #expect(SLAPlanner.priority(.urgent, message: nil, startsRequest: false) == .urgent)
        // A new request starts afresh.
        #expect(SLAPlanner.priority(.urgent, message: nil, startsRequest: true) == .normal)
        #expect(SLAPlanner.priority(.low, message: .high, startsRequest: true) == .high)
    }

    @Test func raisingThePriorityMovesTheRunningClocksToTheNewPolicy() throws {
        let sla = Self.policy().sla
        let received = Plans.now
        var state = ConversationState(
            id: 7, customerID: 3, status: .open, owner: "ana", assignee: "ana", team: "support", createdAt: received, lastMessageAt: received,
            firstResponseDue: received.addingTimeInterval(3600), awaitingSince: received, slaWarnAt: received.addingTimeInterval(2880),
            resolutionDue: nil, slaPolicy: SLAPolicies.defaultID)
        let at = received.addingTimeInterval(600)
        let plan = try #require(
            SLAPlanner.setPriority(
                state, to: .urgent, by: "ana", facts: SLAFacts(priority: .normal, adapter: "chat", channel: "chat"), sla: sla, at: at))
        #expect(plan.state.priority == .urgent)
        #expect(plan.state.slaPolicy == "urgent")
        // 15 minutes from the customer's message, not from the change.
        #expect(plan.state.firstResponseDue == received.addingTimeInterval(900))
        #expect(plan.state.slaWarnAt == received.addingTimeInterval(720))
        #expect(plan.state.resolutionDue == at.addingTimeInterval(4 * 3600), "a promise the old policy did not make starts now")
        #expect(plan.messages.count == 1)
        let line = plan.messages[0].body.text(Plans.ids)
        #expect(
            line == "ana set the priority to urgent (was normal); policy 'urgent' applies: priority is urgent; the answer is now due "
                + received.addingTimeInterval(900).formatted(.iso8601))
        #expect(
            SLAPlanner.setPriority(
                plan.state, to: .urgent, by: "ana", facts: SLAFacts(priority: .urgent, adapter: "chat", channel: "chat"), sla: sla, at: at) == nil)

        // Back to normal: the resolution promise keeps the open time already used.
        state = plan.state
        let later = at.addingTimeInterval(3600)
        let lowered = try #require(
            SLAPlanner.setPriority(
                state, to: .normal, by: "ana", facts: SLAFacts(priority: .urgent, adapter: "chat", channel: "chat"), sla: sla, at: later))
        #expect(lowered.state.slaPolicy == SLAPolicies.defaultID)
        #expect(lowered.state.firstResponseDue == received.addingTimeInterval(3600))
        #expect(lowered.state.resolutionDue == nil, "the default clocks promise no resolution")
    }

    @Test func theResolutionClockKeepsWhatWasUsedWhenThePolicyChanges() {
        let old = AppliedSLA(
            id: "a", reason: "", firstResponse: .seconds(3600), nextResponse: .seconds(3600), resolution: .seconds(8 * 3600), hours: .always)
        let new = AppliedSLA(
            id: "b", reason: "", firstResponse: .seconds(600), nextResponse: .seconds(600), resolution: .seconds(4 * 3600), hours: .always)
        let now = Plans.now
        // Three hours of eight used: one of four is left.
        var state = ConversationState(
            id: 1, customerID: 1, status: .open, createdAt: now, lastMessageAt: now, resolutionDue: now.addingTimeInterval(5 * 3600))
        SLAPlanner.reapply(&state, from: old, to: new, at: now)
        #expect(state.resolutionDue == now.addingTimeInterval(3600))
        // Six hours used of eight: nothing is left of four, so it is due now.
        state.resolutionDue = now.addingTimeInterval(2 * 3600)
        SLAPlanner.reapply(&state, from: old, to: new, at: now)
        #expect(state.resolutionDue == now)
        // Pending keeps open time left, scaled the same way.
        var pending = ConversationState(id: 1, customerID: 1, status: .pending, createdAt: now, lastMessageAt: now, resolutionLeft: 5 * 3600)
        SLAPlanner.reapply(&pending, from: old, to: new, at: now)
        #expect(pending.resolutionLeft == 3600)
    }
}
