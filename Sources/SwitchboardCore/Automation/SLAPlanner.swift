import Foundation
import SwitchboardAdapterAPI

/// Priorities and the SLA policy they choose, as pure functions of the conversation: which policy
/// applies, and what its clocks become when the policy changes mid-request.
public enum SLAPlanner {
    /// The conversation's priority after a customer's message: a message that starts a request sets
    /// it (the adapter's word, else normal); a later one can only raise it.
    public static func priority(_ current: Priority, message: Priority?, startsRequest: Bool) -> Priority {
        if startsRequest { return message ?? .normal }
        guard let message else { return current }
        return max(current, message)
    }

    /// Records `chosen` as the conversation's policy; when it replaces another while a request runs,
    /// the clocks move to the new policy (``reapply(_:from:to:at:)``).
    public static func adopt(_ state: inout ConversationState, _ chosen: AppliedSLA, previous: AppliedSLA?, at now: Date) {
        if let previous, previous.id != chosen.id { reapply(&state, from: previous, to: chosen, at: now) }
        state.slaPolicy = chosen.id
        state.slaReason = chosen.reason
    }

    /// Sets the priority (an agent or a rule), chooses the policy again and moves the running clocks
    /// to it, recorded in the thread. Nil when the priority is already that.
    public static func setPriority(
        _ state: ConversationState, to priority: Priority, by author: String, named: String? = nil, metadata: [String: String]? = nil,
        facts: SLAFacts, sla: SLAPolicies, at now: Date
    ) -> ConversationPlan? {
        guard state.priority != priority else { return nil }
        var next = state
        next.priority = priority
        var facts = facts
        facts.priority = priority
        let previous = sla.applied(id: state.slaPolicy, adapter: facts.adapter, reason: state.slaReason)
        let chosen = sla.choose(facts)
        adopt(&next, chosen, previous: previous, at: now)
        var text = "\(named ?? author) set the priority to \(priority.rawValue) (was \(state.priority.rawValue))"
        if chosen.id != previous.id || state.slaPolicy == nil {
            text += "; \(chosen.reason)"
            if let due = next.firstResponseDue, state.awaitingSince != nil { text += "; the answer is now due \(due.formatted(.iso8601))" }
        }
        return ConversationPlan(before: state, state: next, messages: [.event(.fixed(text), author: author, metadata: metadata, at: now)])
    }

    /// Moves a running request's clocks from one policy to another. The response clock runs again
    /// from the oldest unanswered customer message with the new target; the resolution clock keeps
    /// the open time already used and gets the new target's remainder (nothing left: due now).
    public static func reapply(_ state: inout ConversationState, from old: AppliedSLA, to new: AppliedSLA, at now: Date) {
        if let since = state.awaitingSince, state.status == .open {
            let target = state.answeredAt == nil ? new.firstResponse : new.nextResponse
            var due = new.hours.deadline(from: since, adding: target)
            var warn = new.hours.deadline(from: since, adding: target * 0.8)
            if let callback = state.callbackDue {
                due = min(due, callback)
                warn = min(warn, due)
            }
            state.firstResponseDue = due
            state.slaWarnAt = warn
            if due > now { state.slaBreached = false }
            if warn > now { state.slaWarned = false }
        }
        switch state.status {
        case .open:
            guard let newTarget = new.resolution else {
                state.resolutionDue = nil
                state.resolutionBreached = false
                return
            }
            // A promise the old policy did not make starts now.
            var used = 0.0
            if let due = state.resolutionDue, let oldTarget = old.resolution {
                used = max(0, oldTarget.seconds - old.hours.openTime(from: now, to: due))
            }
            let left = newTarget.seconds - used
            state.resolutionDue = left > 0 ? new.hours.deadline(from: now, adding: .seconds(left)) : now
            if left > 0 { state.resolutionBreached = false }
        case .pending:
            guard let newTarget = new.resolution else {
                state.resolutionLeft = nil
                return
            }
            guard let left = state.resolutionLeft, let oldTarget = old.resolution else { return }
            state.resolutionLeft = max(0, newTarget.seconds - (oldTarget.seconds - left))
        case .resolved, .merged:
            break
        }
    }
}
