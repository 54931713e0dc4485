import Foundation
import SwitchboardAdapterAPI

/// The rules of what agents do to one conversation, as pure functions from the conversation as
/// it stands to what changes. Refusals are ``ServiceError``s with their HTTP status, decided here
/// once for every engine.
public enum ConversationPlanner {
    /// An agent's reply, queued for delivery in the same transaction: it answers the customer, so
    /// the response clocks stop and the next customer message runs `next_response`.
    public static func reply(
        _ state: ConversationState, author: String, body: String, route: ReplyRoute, attachments: [Attachment] = [],
        metadata: [String: String]? = nil, at now: Date
    ) -> ConversationPlan {
        var next = state
        next.stopResponseClocks()
        next.answeredAt = state.answeredAt ?? now
        next.lastMessageAt = now
        let message = PlannedMessage(
            direction: .outbound, adapter: route.adapter, address: route.address, threadRef: route.threadRef,
            inReplyTo: route.inReplyTo.map(PlannedLink.stored), body: .fixed(body), author: author, metadata: metadata, attachments: attachments,
            createdAt: now,
            delivery: DeliveryInfo(state: .queued, attempts: 0),
            outbox: PlannedDelivery(adapter: route.adapter, inReplyToExternalID: route.inReplyToExternalID, nextAttemptAt: now, quoted: route.quoted))
        return ConversationPlan(before: state, state: next, messages: [message])
    }

    /// A note or an event: recorded, nothing else changes.
    public static func append(
        _ state: ConversationState, direction: MessageDirection, author: String?, body: String, at now: Date
    ) -> ConversationPlan {
        ConversationPlan(
            before: state, state: state, messages: [PlannedMessage(direction: direction, body: .fixed(body), author: author, createdAt: now)])
    }

    /// Hands the conversation to `assignee` (and `owner`, when given), recorded with `event`.
    public static func reassign(
        _ state: ConversationState, to assignee: String, owner: String?, escalated: Bool, event: String, author: String?, at now: Date
    ) -> ConversationPlan {
        var next = state
        next.assignee = assignee
        next.owner = owner ?? state.owner
        next.escalated = state.escalated || escalated
        return ConversationPlan(
            before: state, state: next, messages: [.event(event, author: author, at: now)],
            loads: .move(from: state.assignee, to: assignee, carriesLoad: (state.carriesLoad, next.carriesLoad)))
    }

    public static func closeEscalation(_ state: ConversationState, by agent: String, note: String?, at now: Date) throws -> ConversationPlan {
        guard state.escalated else {
            throw ServiceError(status: 409, code: "not_escalated", message: "conversation \(state.id) is not escalated")
        }
        var next = state
        next.escalated = false
        return ConversationPlan(
            before: state, state: next, messages: [.event("\(agent) closed the escalation" + (note.map { ": \($0)" } ?? ""), author: agent, at: now)])
    }

    /// Resolved: every promise ends, the assignee's load drops; the next customer message reopens it.
    public static func resolve(_ state: ConversationState, by agent: String, at now: Date) throws -> ConversationPlan {
        switch state.status {
        case .merged: throw ServiceError(status: 409, code: "merged", message: "conversation \(state.id) was merged into another")
        case .resolved: throw ServiceError(status: 409, code: "already_resolved", message: "conversation \(state.id) is already resolved")
        case .open, .pending: break
        }
        var next = state
        next.status = .resolved
        next.resolvedAt = now
        next.stopResponseClocks()
        next.escalated = false
        next.resolutionDue = nil
        next.resolutionLeft = nil
        next.answeredAt = nil
        return ConversationPlan(
            before: state, state: next, messages: [.event("Resolved by \(agent)", author: agent, at: now)],
            loads: .move(from: state.assignee, to: next.assignee, carriesLoad: (state.carriesLoad, false)))
    }

    /// `pending` waits on the customer: the response clocks stop and the resolution clock keeps the
    /// open time it had left; `open` again resumes it (as a customer message does).
    public static func setPending(
        _ state: ConversationState, _ pending: Bool, by agent: String, at now: Date, hours: BusinessHours
    ) throws -> ConversationPlan {
        var next = state
        if pending {
            guard state.status == .open else {
                throw ServiceError(
                    status: 409, code: "not_open",
                    message: "conversation \(state.id) is \(state.status.rawValue); only an open one can wait on the customer")
            }
            next.status = .pending
            next.resolutionLeft = state.resolutionDue.map { hours.openTime(from: now, to: $0) }
            next.resolutionDue = nil
            next.stopResponseClocks()
            next.callbackDue = state.callbackDue
            return ConversationPlan(
                before: state, state: next,
                messages: [.event("\(agent) set the conversation pending: waiting on the customer, clocks stopped", author: agent, at: now)])
        }
        guard state.status == .pending else {
            throw ServiceError(status: 409, code: "not_pending", message: "conversation \(state.id) is \(state.status.rawValue), not pending")
        }
        next.resume(at: now, hours: hours)
        return ConversationPlan(before: state, state: next, messages: [.event("\(agent) reopened the conversation", author: agent, at: now)])
    }

    /// The promised call back was made: it is the response the customer was waiting for, so the
    /// clocks stop as for a reply. Nil when no call back was promised.
    public static func completeCallback(_ state: ConversationState, by agent: String, at now: Date) -> ConversationPlan? {
        guard state.callbackDue != nil else { return nil }
        var next = state
        next.stopResponseClocks()
        return ConversationPlan(before: state, state: next, messages: [.event("Call back made by \(agent)", author: agent, at: now)])
    }
}

extension ConversationState {
    /// A pending conversation becomes open again; its resolution clock resumes with what was left.
    mutating func resume(at now: Date, hours: BusinessHours) {
        status = .open
        if let left = resolutionLeft { resolutionDue = hours.deadline(from: now, adding: .seconds(left)) }
        resolutionLeft = nil
    }
}
