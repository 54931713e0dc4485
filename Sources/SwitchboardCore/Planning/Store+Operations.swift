import Foundation
import SwitchboardAdapterAPI

/// The conversation operations, once for every engine: read through ``ConversationStore/change(conversation:routing:_:)``,
/// decided by the planners, written by the engine.
extension ConversationStore {
    /// Appends an agent's reply and queues it in the outbox in one transaction; stops the clocks.
    /// `attachments` carry their bytes; the store keeps them with the message in the same transaction.
    public func appendReply(
        conversation: Int64, author: String, body: String, route: ReplyRoute, attachments: [Attachment] = [],
        metadata: [String: String]? = nil, at: Date
    ) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: false) { state, _ in
                ConversationPlanner.reply(state, author: author, body: body, route: route, attachments: attachments, metadata: metadata, at: at)
            })
    }

    /// Appends a note or an event.
    public func appendInternal(
        conversation: Int64, direction: MessageDirection, author: String?, body: String, at: Date
    ) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: false) { state, _ in
                ConversationPlanner.append(state, direction: direction, author: author, body: body, at: at)
            })
    }

    /// Hands a conversation to `assignee` (and makes `owner` its owner when given) and records why.
    public func reassign(
        conversation: Int64, assignee: String, owner: String?, escalated: Bool, event: String, author: String?, at: Date
    ) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: true) { state, _ in
                ConversationPlanner.reassign(state, to: assignee, owner: owner, escalated: escalated, event: event, author: author, at: at)
            })
    }

    public func resolve(conversation: Int64, author: String, at: Date) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: true) { state, _ in
                try ConversationPlanner.resolve(state, by: author, at: at)
            })
    }

    /// Closes an escalation without resolving the conversation; recorded with the supervisor's note.
    public func closeEscalation(conversation: Int64, by agent: String, note: String?, at: Date) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: false) { state, _ in
                try ConversationPlanner.closeEscalation(state, by: agent, note: note, at: at)
            })
    }

    /// Sets an open conversation `pending` (waiting on the customer) or a pending one `open` again.
    public func setPending(
        conversation: Int64, _ pending: Bool, by agent: String, at: Date, hours: BusinessHours = .always
    ) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: false) { state, _ in
                try ConversationPlanner.setPending(state, pending, by: agent, at: at, hours: hours)
            })
    }

    /// The same, in the business hours of the conversation's SLA policy.
    public func setPending(conversation: Int64, _ pending: Bool, by agent: String, at: Date, sla: SLAPolicies) async throws -> MessageRecord {
        try await only(
            change(conversation: conversation, routing: false) { state, _ in
                try ConversationPlanner.setPending(state, pending, by: agent, at: at, hours: sla.applied(id: state.slaPolicy, adapter: nil).hours)
            })
    }

    /// Marks a promised call back as made; nil when none was promised.
    public func completeCallback(conversation: Int64, by agent: String, at: Date) async throws -> MessageRecord? {
        try await change(conversation: conversation, routing: false) { state, _ in
            ConversationPlanner.completeCallback(state, by: agent, at: at)
        }?.messages.first
    }

    /// Records that a warning was sent or a breach flagged; returns the event for a breach.
    public func markPromise(conversation: Int64, _ kind: PromiseDue.Kind, event: String?, at: Date) async throws -> MessageRecord? {
        try await change(conversation: conversation, routing: false) { state, _ in
            WorkPlanner.markPromise(state, kind, event: event, at: at)
        }?.messages.first
    }

    /// Moves a stale conversation to another agent and restarts its reassignment timer; nil when
    /// something changed since the decision.
    public func reassignStale(conversation: Int64, from: String?, to: String, reason: String, at: Date) async throws -> AssignmentEvent? {
        try await change(conversation: conversation, routing: true) { state, _ in
            WorkPlanner.reassignStale(state, from: from, to: to, reason: reason, at: at)
        }.map(AssignmentEvent.init)
    }

    /// Sets owner and assignee of one conversation and records why.
    public func redistribute(conversation: Int64, owner: String?, assignee: String?, reason: String, at: Date) async throws -> AssignmentEvent? {
        try await change(conversation: conversation, routing: true) { state, _ in
            WorkPlanner.redistribute(state, owner: owner, assignee: assignee, reason: reason, at: at)
        }.map(AssignmentEvent.init)
    }

    /// Gives an available agent back what they own and others cover, then waiting work while below capacity.
    public func takeWork(agent: String, teams: [String], returnToOwner: Bool, capacity: Int?, at: Date) async throws -> [AssignmentEvent] {
        let selections: [ConversationSelection] = [.coveredForOwner(agent), .waiting(teams: teams, limit: capacity ?? 1000)]
        return try await change(selecting: selections) { found, loads in
            WorkPlanner.takeWork(
                agent: agent, returnToOwner: returnToOwner, capacity: capacity, covered: found[0], waiting: found[1], loads: loads, at: at)
        }.map(AssignmentEvent.init)
    }

    private func only(_ applied: AppliedPlan?) throws -> MessageRecord {
        guard let message = applied?.messages.first else { throw ServiceError.storageUnavailable("the change recorded nothing") }
        return message
    }
}

/// The customer operations, once for every engine.
extension CustomerStore {
    /// Folds `absorbed` into `survivor` (see ``MergePlanner/merge(survivor:absorbed:survivorID:absorbedID:by:at:references:)``).
    public func merge(survivor: Int64, absorbed: Int64, by agent: String, at: Date, references: ConversationReferences) async throws -> MergeOutcome {
        try await merge(survivor: survivor, absorbed: absorbed, at: at) { s, a in
            try MergePlanner.merge(survivor: s, absorbed: a, survivorID: survivor, absorbedID: absorbed, by: agent, at: at, references: references)
        }
    }

    /// Undoes the latest merge into `customer`; 409 when none is left.
    public func unmerge(customer: Int64, by agent: String, at: Date, references: ConversationReferences) async throws -> MergeOutcome {
        try await unmerge(customer: customer, at: at) { merge in
            try MergePlanner.unmerge(merge, customer: customer, by: agent, references: references)
        }
    }

    /// Adds an identity to a customer; 409 when it belongs to someone (named only with `revealHolder`).
    public func linkIdentity(
        customer: Int64, identity: ChannelIdentity, by agent: String, at: Date, revealHolder: Bool = false
    ) async throws -> MessageRecord {
        try await linkIdentity(customer: customer, identity: identity, at: at) { conversation, holder in
            try CustomerPlanner.link(
                identity, to: customer, conversation: conversation, holder: holder, by: agent, revealHolder: revealHolder, at: at)
        }
    }
}

extension AssignmentEvent {
    init(_ applied: AppliedPlan) {
        self.init(conversation: applied.state.access, previousAssignee: applied.before.assignee, event: applied.messages[0])
    }
}
