import Foundation
import SwitchboardAdapterAPI

/// The ids a plan's texts may name before the engine has written the rows: the customer and the
/// conversation the plan works on (new ones get theirs while the plan is applied).
public struct PlanIDs: Sendable, Equatable {
    public var customer: Int64
    public var conversation: Int64

    public init(customer: Int64, conversation: Int64) {
        self.customer = customer
        self.conversation = conversation
    }
}

/// A text a plan writes into a thread. Most are known when planned; some name a customer or a
/// conversation that exists only once the engine has written it.
public struct PlannedText: Sendable {
    private let make: @Sendable (PlanIDs) -> String

    public init(_ make: @escaping @Sendable (PlanIDs) -> String) { self.make = make }

    public static func fixed(_ text: String) -> PlannedText { PlannedText { _ in text } }

    public func text(_ ids: PlanIDs) -> String { make(ids) }
}

/// The message another message of the same plan answers, or one stored before.
public enum PlannedLink: Sendable, Equatable {
    case stored(Int64)
    /// The plan's own message at this index.
    case planned(Int)
}

/// An outbox row for a planned outbound message.
public struct PlannedDelivery: Sendable, Equatable {
    public var adapter: String
    public var inReplyToExternalID: String?
    public var nextAttemptAt: Date
    public var quoted: Bool
    public var purpose: OutboundMessage.Purpose

    public init(adapter: String, inReplyToExternalID: String?, nextAttemptAt: Date, quoted: Bool = false, purpose: OutboundMessage.Purpose = .reply) {
        self.adapter = adapter
        self.inReplyToExternalID = inReplyToExternalID
        self.nextAttemptAt = nextAttemptAt
        self.quoted = quoted
        self.purpose = purpose
    }
}

/// One message a plan appends to the conversation's thread.
public struct PlannedMessage: Sendable {
    public var direction: MessageDirection
    public var adapter: String?
    public var channel: String?
    public var address: String?
    public var threadRef: String?
    public var externalID: String?
    public var inReplyTo: PlannedLink?
    public var body: PlannedText
    public var author: String?
    public var metadata: [String: String]?
    public var attachments: [Attachment]
    public var sentAt: Date?
    public var createdAt: Date
    public var delivery: DeliveryInfo?
    /// Which of the customer's identities it came through (inbound), for undoing merges.
    public var identity: PlannedIdentity?
    /// Queued for the outbox in the same transaction (replies and acknowledgements).
    public var outbox: PlannedDelivery?

    public init(
        direction: MessageDirection, adapter: String? = nil, channel: String? = nil, address: String? = nil, threadRef: String? = nil,
        externalID: String? = nil, inReplyTo: PlannedLink? = nil, body: PlannedText, author: String? = nil,
        metadata: [String: String]? = nil, attachments: [Attachment] = [], sentAt: Date? = nil, createdAt: Date,
        delivery: DeliveryInfo? = nil, identity: PlannedIdentity? = nil, outbox: PlannedDelivery? = nil
    ) {
        self.direction = direction
        self.adapter = adapter
        self.channel = channel
        self.address = address
        self.threadRef = threadRef
        self.externalID = externalID
        self.inReplyTo = inReplyTo
        self.body = body
        self.author = author
        self.metadata = metadata
        self.attachments = attachments
        self.sentAt = sentAt
        self.createdAt = createdAt
        self.delivery = delivery
        self.identity = identity
        self.outbox = outbox
    }

    /// An `event` line in the thread (assignment, escalation, resolution …).
    public static func event(_ text: PlannedText, author: String? = nil, metadata: [String: String]? = nil, at: Date) -> PlannedMessage {
        PlannedMessage(direction: .event, body: text, author: author, metadata: metadata, createdAt: at)
    }

    public static func event(_ text: String, author: String? = nil, at: Date) -> PlannedMessage {
        .event(.fixed(text), author: author, at: at)
    }
}

/// The identity an inbound message came through: known, or the one the plan creates.
public enum PlannedIdentity: Sendable, Equatable {
    case stored(Int64)
    case new
}

/// What happens to one agent's count of open conversations.
public enum LoadChange: Sendable, Equatable {
    /// One more, and this agent becomes the most recently assigned (round-robin order).
    case assigned(String)
    /// One fewer.
    case unassigned(String)
}

extension [String: AgentLoad] {
    /// The loads after `change`, as the engine will record them.
    public mutating func apply(_ change: LoadChange) {
        switch change {
        case .assigned(let agent):
            let seq = (values.map(\.lastAssignedSeq).max() ?? 0) + 1
            self[agent]?.openAssigned += 1
            self[agent]?.lastAssignedSeq = seq
        case .unassigned(let agent):
            if let open = self[agent]?.openAssigned { self[agent]?.openAssigned = Swift.max(0, open - 1) }
        }
    }
}

/// What to change in one conversation: its row afterwards, what its thread gains, and the agents'
/// loads. Planned by the core, applied by an engine in one transaction.
public struct ConversationPlan: Sendable {
    /// The conversation as the planner found it.
    public var before: ConversationState
    public var state: ConversationState
    public var messages: [PlannedMessage]
    public var loads: [LoadChange]
    /// Tags to add (those it has already stay as they are).
    public var addTags: TagAddition?
    /// What becomes of acknowledgements of this conversation still held in the outbox.
    public var acknowledgements: HeldAcknowledgements?
    /// Events for the automation queue, written in the same transaction.
    public var enqueue: [QueuedEvent] = []

    public init(before: ConversationState, state: ConversationState, messages: [PlannedMessage] = [], loads: [LoadChange] = []) {
        self.before = before
        self.state = state
        self.messages = messages
        self.loads = loads
    }

    /// Whether applying it would change anything.
    public var isEmpty: Bool {
        state == before && messages.isEmpty && loads.isEmpty && addTags == nil && acknowledgements == nil && enqueue.isEmpty
    }
}

/// Acknowledgements queued but held back while the rules of the message that caused them run.
public enum HeldAcknowledgements: Sendable, Equatable {
    /// They go out now.
    case release
    /// They never go: each is recorded `failed` with this reason (an agent can still send it with a retry).
    case withhold(reason: String)
}

/// What an engine did with a ``ConversationPlan``: the row as written and the messages as stored.
public struct AppliedPlan: Sendable, Equatable {
    public var before: ConversationState
    public var state: ConversationState
    public var messages: [MessageRecord]

    public init(before: ConversationState, state: ConversationState, messages: [MessageRecord]) {
        self.before = before
        self.state = state
        self.messages = messages
    }
}

extension [LoadChange] {
    /// The load changes of moving a conversation from one assignee to another: nothing when it
    /// stays, and nothing for a conversation that carries no load (resolved, merged).
    static func move(from previous: String?, to next: String?, carriesLoad: (before: Bool, after: Bool)) -> [LoadChange] {
        if previous == next, carriesLoad.before == carriesLoad.after { return [] }
        var changes: [LoadChange] = []
        if carriesLoad.before, let previous { changes.append(.unassigned(previous)) }
        if carriesLoad.after, let next { changes.append(.assigned(next)) }
        return changes
    }
}
