import Foundation
import SwitchboardAdapterAPI

/// What storing one inbound message changes, as the core decided it.
public enum InboundPlan: Sendable {
    /// Stored before: nothing changes.
    case duplicate(StoredMessageRef)
    /// Automated mail answering one of our replies, filed in that reply's thread; nobody becomes a
    /// customer (one provider's mailer-daemon serves many customers).
    case file(PlannedMessage, into: ConversationState)
    /// A message of a customer: who they are, their conversation, the thread's new lines.
    case store(InboundStorePlan)
}

/// The customer, conversation and thread changes of one customer message.
public struct InboundStorePlan: Sendable {
    /// The known customer, or nil: the engine creates one (with ``customerName``) and the identity.
    public var customer: KnownCustomer?
    /// The identity to create for a new customer.
    public var identity: ChannelIdentity
    /// The name the customer gets, when they had none.
    public var customerName: String?
    /// The conversation afterwards. For a new one (``newConversation``) the engine assigns the id.
    public var conversation: ConversationState
    public var newConversation: Bool
    /// The inbound message first, then the lines it causes (assignment, suggestions, call-back
    /// promise, acknowledgement), in thread order.
    public var messages: [PlannedMessage]
    public var loads: [LoadChange]
    /// The customer's contact counters move (a customer reaching out; not automated mail or call activity).
    public var countsContact: Bool
    /// A new conversation or a reopened one changed hands; the event is ``messages``[``assignmentEvent``].
    public var assignment: AssignmentChange?
    public var assignmentEvent: Int?
    /// Index of the acknowledgement in ``messages``, when one is queued.
    public var acknowledgement: Int?
    /// When the message was received (the contact counters' time).
    public var at: Date
    /// The message starts a request: a new conversation, or one reopened.
    public var startsRequest: Bool = false
    /// People the message was also addressed to, recorded as the conversation's participants
    /// (kept once per conversation, channel and address).
    public var participants: [ChannelIdentity] = []
}

/// How a request began.
public enum RequestStart: String, Sendable, Equatable {
    /// The customer's first conversation.
    case created
    /// A resolved conversation the customer wrote to again.
    case reopened
}

extension InboundStorePlan {
    /// How the request began, when this message began one.
    public var started: RequestStart? { startsRequest ? (newConversation ? .created : .reopened) : nil }
}

/// What storing one ``IngestItem`` did.
public enum IngestOutcome: Sendable, Equatable {
    /// A new message, stored now, with what it changed.
    case stored(StoredInbound)
    /// The same (adapter, external id) was stored before; nothing changed.
    case duplicate(StoredMessageRef)
    /// The customer edited a message stored before.
    case edited(MessageRecord, ConversationAccess)
    /// A platform's report on one of our replies.
    case deliveryUpdated(MessageRecord, ConversationAccess)
    /// Nothing to store (a report about a message we do not know), with why.
    case ignored(reason: String)
}

/// A stored inbound message and what its transaction changed.
public struct StoredInbound: Sendable, Equatable {
    public var message: MessageRecord
    public var conversation: ConversationAccess
    public var customer: Int64
    /// Set when the message made a new conversation or reopened one, with who got it.
    public var assignment: AssignmentChange?
    /// Other lines the same transaction added to the thread: an acknowledgement queued for the
    /// customer, a call-back promise, a suggested merge.
    public var related: [MessageRecord]
    /// An acknowledgement was queued in the outbox.
    public var acknowledged: Bool
    /// The message started a request: a new conversation, or one reopened.
    public var started: RequestStart?

    public init(
        message: MessageRecord, conversation: ConversationAccess, customer: Int64, assignment: AssignmentChange? = nil,
        related: [MessageRecord] = [], acknowledged: Bool = false, started: RequestStart? = nil
    ) {
        self.started = started
        self.message = message
        self.conversation = conversation
        self.customer = customer
        self.assignment = assignment
        self.related = related
        self.acknowledged = acknowledged
    }
}

extension IngestOutcome {
    public enum Kind: Sendable, Equatable { case stored, duplicate, deliveryUpdated, edited, ignored }

    public var kind: Kind {
        switch self {
        case .stored: .stored
        case .duplicate: .duplicate
        case .edited: .edited
        case .deliveryUpdated: .deliveryUpdated
        case .ignored: .ignored
        }
    }

    /// The stored (or earlier stored) message's id.
    public var messageID: Int64? {
        switch self {
        case .stored(let s): s.message.id
        case .duplicate(let ref): ref.message
        case .edited(let m, _), .deliveryUpdated(let m, _): m.id
        case .ignored: nil
        }
    }

    /// The message as stored or changed now (nil for duplicates and ignored reports).
    public var message: MessageRecord? {
        switch self {
        case .stored(let s): s.message
        case .edited(let m, _), .deliveryUpdated(let m, _): m
        case .duplicate, .ignored: nil
        }
    }

    public var access: ConversationAccess? {
        switch self {
        case .stored(let s): s.conversation
        case .edited(_, let a), .deliveryUpdated(_, let a): a
        case .duplicate, .ignored: nil
        }
    }

    public var conversationID: Int64? {
        if case .duplicate(let ref) = self { return ref.conversation }
        return access?.id
    }

    public var customerID: Int64? { if case .stored(let s) = self { s.customer } else { nil } }
    public var owner: String? { access?.owner }
    public var assignee: String? { access?.assignee }
    public var assignment: AssignmentChange? { if case .stored(let s) = self { s.assignment } else { nil } }
    public var related: [MessageRecord] { if case .stored(let s) = self { s.related } else { [] } }
    public var queuedAcknowledgement: Bool { if case .stored(let s) = self { s.acknowledged } else { false } }
}
