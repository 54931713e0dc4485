import Foundation

/// Who works on what outside ingestion: promises coming due, an agent becoming available, a
/// conversation waiting too long, agents removed from the configuration.
public enum WorkPlanner {
    /// A warning sent, a breach flagged (which escalates), a stale conversation's timer restarted.
    public static func markPromise(_ state: ConversationState, _ kind: PromiseDue.Kind, event: String?, at now: Date) -> ConversationPlan {
        var next = state
        switch kind {
        case .warning:
            next.slaWarned = true
        case .breach:
            next.slaBreached = true
            next.slaWarned = true
            next.escalated = true
        case .stale:
            next.reassignedAt = now
        case .resolution:
            next.resolutionBreached = true
            next.escalated = true
        }
        return ConversationPlan(before: state, state: next, messages: event.map { [.event($0, at: now)] } ?? [])
    }

    /// Moves a conversation whose customer waited too long from `from` to `to`, unless something
    /// changed since the decision (an answer, another reassignment): then nil.
    public static func reassignStale(_ state: ConversationState, from: String?, to: String, reason: String, at now: Date) -> ConversationPlan? {
        guard state.status == .open, state.awaitingSince != nil, state.assignee == from else { return nil }
        var plan = move(state, owner: state.owner ?? to, to: to, reason: reason, at: now)
        plan.state.reassignedAt = now
        return plan
    }

    /// Sets owner and assignee of a conversation whose agents left the configuration.
    public static func redistribute(_ state: ConversationState, owner: String?, assignee: String?, reason: String, at now: Date) -> ConversationPlan {
        var next = state
        next.owner = owner
        next.assignee = assignee
        return ConversationPlan(
            before: state, state: next, messages: [.event(reason, at: now)],
            loads: .move(from: state.assignee, to: assignee, carriesLoad: (state.carriesLoad, next.carriesLoad)))
    }

    /// An agent who becomes available gets back the open conversations they own that others cover
    /// (`returnToOwner`), then the oldest conversations waiting for their teams while below capacity.
    /// `covered` and `waiting` are what ``ConversationSelection`` found, in its order.
    public static func takeWork(
        agent: String, returnToOwner: Bool, capacity: Int?, covered: [ConversationState], waiting: [ConversationState],
        loads: [String: AgentLoad], at now: Date
    ) -> [ConversationPlan] {
        var loads = loads
        var plans: [ConversationPlan] = []
        func take(_ plan: ConversationPlan) {
            plan.loads.forEach { loads.apply($0) }
            plans.append(plan)
        }
        if returnToOwner {
            for state in covered where state.owner == agent && state.assignee != agent && state.status == .open {
                take(move(state, owner: agent, to: agent, reason: "\(agent) is available again: back to the owner", at: now))
            }
        }
        let room = (capacity ?? Int.max / 2) - (loads[agent]?.openAssigned ?? 0)
        for state in waiting.prefix(max(0, room)) where state.assignee == nil && state.status == .open {
            let reason =
                state.owner.map { "\(agent) is available and covers the waiting conversation; \($0) stays the owner" }
                ?? "\(agent) is available and takes the waiting conversation as its owner"
            take(move(state, owner: state.owner ?? agent, to: agent, reason: reason, at: now))
        }
        return plans
    }

    static func move(_ state: ConversationState, owner: String, to agent: String, reason: String, at now: Date) -> ConversationPlan {
        var next = state
        next.owner = owner
        next.assignee = agent
        return ConversationPlan(
            before: state, state: next, messages: [.event(reason, at: now)],
            loads: .move(from: state.assignee, to: agent, carriesLoad: (state.carriesLoad, next.carriesLoad)))
    }
}

/// Conversations an engine reads (and locks) for a plan that changes several at once.
public enum ConversationSelection: Sendable, Equatable {
    /// Open conversations `agent` owns that someone else (or nobody) is assigned, least recently active first.
    case coveredForOwner(String)
    /// Open conversations nobody is assigned, of these teams, oldest first, at most `limit`.
    case waiting(teams: [String], limit: Int)
}
