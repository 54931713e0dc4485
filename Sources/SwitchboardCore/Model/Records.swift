import Foundation
import SwitchboardAdapterAPI

/// Conversation states. A resolved conversation reopens on the customer's next message; a merged one
/// was folded into another customer's conversation (and comes back if the merge is undone).
public enum ConversationStatus: String, Sendable, Codable {
    /// `pending`: waiting on the customer; the response and resolution clocks stand still.
    case open, pending, resolved, merged
}

/// What a message in a thread is.
public enum MessageDirection: String, Sendable, Codable {
    /// From the customer, through a channel.
    case inbound
    /// An agent's reply to the customer.
    case outbound
    /// An internal note, never sent.
    case note
    /// Something that happened to the conversation (assignment, escalation, resolution).
    case event
}

/// Where an outbound message is on its way to the customer.
public enum DeliveryState: String, Sendable, Codable {
    case queued, sent, delivered, failed
}

public struct DeliveryInfo: Sendable, Codable, Equatable {
    public var state: DeliveryState
    public var attempts: Int
    public var error: String?

    public init(state: DeliveryState, attempts: Int, error: String? = nil) {
        self.state = state
        self.attempts = attempts
        self.error = error
    }
}

/// One message of a thread, as the agent API shows it.
public struct MessageRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var conversationID: Int64
    public var direction: MessageDirection
    public var adapter: String?
    public var channel: String?
    public var body: String
    public var createdAt: Date
    public var sentAt: Date?
    public var externalID: String?
    /// The agent who wrote it (outbound, note, event), or nil for the customer.
    public var author: String?
    public var inReplyTo: Int64?
    public var delivery: DeliveryInfo?
    public var metadata: [String: String]?
    public var attachments: [Attachment]?
    /// Set when the customer edited the message; `originalBody` keeps what they first wrote.
    public var editedAt: Date?
    public var originalBody: String?

    enum CodingKeys: String, CodingKey {
        case id, direction, adapter, channel, body, author, delivery, metadata, attachments
        case editedAt = "edited_at"
        case originalBody = "original_body"
        case conversationID = "conversation_id"
        case createdAt = "created_at"
        case sentAt = "sent_at"
        case externalID = "external_id"
        case inReplyTo = "in_reply_to"
    }

    public init(
        id: Int64, conversationID: Int64, direction: MessageDirection, adapter: String? = nil,
        channel: String? = nil, body: String, createdAt: Date, sentAt: Date? = nil, externalID: String? = nil,
        author: String? = nil, inReplyTo: Int64? = nil, delivery: DeliveryInfo? = nil, metadata: [String: String]? = nil,
        attachments: [Attachment]? = nil, editedAt: Date? = nil, originalBody: String? = nil
    ) {
        self.id = id
        self.conversationID = conversationID
        self.direction = direction
        self.adapter = adapter
        self.channel = channel
        self.body = body
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.externalID = externalID
        self.author = author
        self.inReplyTo = inReplyTo
        self.delivery = delivery
        self.metadata = metadata
        self.attachments = attachments
        self.editedAt = editedAt
        self.originalBody = originalBody
    }
}

public struct CustomerRef: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String?

    public init(id: Int64, name: String?) {
        self.id = id
        self.name = name
    }
}

/// One line of an agent's conversation list.
public struct ConversationSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var status: ConversationStatus
    public var customer: CustomerRef
    public var owner: String?
    public var assignee: String?
    public var escalated: Bool
    public var lastMessageAt: Date
    public var firstResponseDue: Date?
    /// A promised call back is due by then (a missed call).
    public var callbackDue: Date?
    /// The request must be resolved by then (`routing.resolution`).
    public var resolutionDue: Date?
    /// The reference the customer quotes (`SB-000123-K7QMX`); filled by the desk, which holds the key.
    public var reference: String
    public var priority: Priority

    enum CodingKeys: String, CodingKey {
        case id, status, customer, owner, assignee, escalated, reference, priority
        case lastMessageAt = "last_message_at"
        case firstResponseDue = "first_response_due"
        case callbackDue = "callback_due"
        case resolutionDue = "resolution_due"
    }

    public init(
        id: Int64, status: ConversationStatus, customer: CustomerRef, owner: String?, assignee: String?,
        escalated: Bool, lastMessageAt: Date, firstResponseDue: Date?, callbackDue: Date? = nil, resolutionDue: Date? = nil,
        priority: Priority = .normal
    ) {
        self.priority = priority
        self.resolutionDue = resolutionDue
        self.callbackDue = callbackDue
        self.reference = ""
        self.id = id
        self.status = status
        self.customer = customer
        self.owner = owner
        self.assignee = assignee
        self.escalated = escalated
        self.lastMessageAt = lastMessageAt
        self.firstResponseDue = firstResponseDue
    }
}

/// A customer's address on one channel, and the adapter it was first seen on.
public struct IdentityRecord: Sendable, Codable, Equatable {
    public var channel: String
    public var adapter: String
    public var address: String

    public init(channel: String, adapter: String, address: String) {
        self.channel = channel
        self.adapter = adapter
        self.address = address
    }
}

public struct CustomerDetail: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String?
    public var identities: [IdentityRecord]
    /// How many times the customer got in touch (inbound messages, every channel).
    public var contacts: Int
    /// The same count per adapter the customer wrote through, and within the last 30 days.
    public var contactsByChannel: [String: Int]
    public var contactsLast30Days: Int
    public var firstContactAt: Date?
    public var lastContactAt: Date?
    /// The customer's conversation (one per customer).
    public var conversation: Int64?
    /// Set when this customer was merged into another one.
    public var mergedInto: Int64?
    /// Data from the business's own systems, by provider id (filled by context providers).
    public var context: [String: JSONValue]
    /// How each context provider answered: `ok`, `stale`, `pending`, `timeout` or `error`, with a reason.
    public var contextStatus: [String: ContextStatus]

    enum CodingKeys: String, CodingKey {
        case id, name, identities, contacts, context, conversation
        case contactsByChannel = "contacts_by_channel"
        case contactsLast30Days = "contacts_last_30_days"
        case firstContactAt = "first_contact_at"
        case lastContactAt = "last_contact_at"
        case mergedInto = "merged_into"
        case contextStatus = "context_status"
    }

    public init(
        id: Int64, name: String?, identities: [IdentityRecord], contacts: Int, firstContactAt: Date?,
        lastContactAt: Date?, context: [String: JSONValue] = [:], contactsByChannel: [String: Int] = [:],
        contactsLast30Days: Int = 0, conversation: Int64? = nil, mergedInto: Int64? = nil, contextStatus: [String: ContextStatus] = [:]
    ) {
        self.contactsByChannel = contactsByChannel
        self.contactsLast30Days = contactsLast30Days
        self.conversation = conversation
        self.mergedInto = mergedInto
        self.contextStatus = contextStatus
        self.id = id
        self.name = name
        self.identities = identities
        self.contacts = contacts
        self.firstContactAt = firstContactAt
        self.lastContactAt = lastContactAt
        self.context = context
    }
}

/// A whole conversation: the customer and every message, oldest first.
public struct ConversationDetail: Sendable, Codable, Equatable {
    public var id: Int64
    public var status: ConversationStatus
    public var owner: String?
    public var assignee: String?
    public var team: String?
    public var escalated: Bool
    public var firstResponseDue: Date?
    public var callbackDue: Date?
    public var resolutionDue: Date?
    public var customer: CustomerDetail
    public var messages: [MessageRecord]
    public var tags: [String]
    /// The reference the customer can quote on any channel (`SB-000123-K7QMX`); filled by the desk.
    public var reference: String
    /// Set when a merge folded this conversation into another.
    public var mergedInto: Int64?
    /// The adapters a reply can leave through now, with each one's constraints (filled by the desk).
    public var channels: [ReplyChannel] = []
    /// The other agents who have the conversation open now (filled by the desk, never stored).
    public var viewers: [ConversationViewer] = []
    public var priority: Priority = .normal
    /// The SLA policy chosen for it (nil: none yet) and why, as stored; the desk shows them as ``sla``.
    public var slaPolicy: String?
    public var slaReason: String?
    /// Which SLA policy the clocks run under, why, and its clocks (filled by the desk).
    public var sla: SLAView?

    enum CodingKeys: String, CodingKey {
        case id, status, owner, assignee, team, escalated, customer, messages, tags, reference, channels, viewers, priority, sla
        case firstResponseDue = "first_response_due"
        case callbackDue = "callback_due"
        case resolutionDue = "resolution_due"
        case mergedInto = "merged_into"
    }

    public init(
        id: Int64, status: ConversationStatus, owner: String?, assignee: String?, team: String?, escalated: Bool,
        firstResponseDue: Date?, customer: CustomerDetail, messages: [MessageRecord], tags: [String] = [],
        callbackDue: Date? = nil, mergedInto: Int64? = nil, resolutionDue: Date? = nil, priority: Priority = .normal,
        slaPolicy: String? = nil, slaReason: String? = nil
    ) {
        self.priority = priority
        self.slaPolicy = slaPolicy
        self.slaReason = slaReason
        self.resolutionDue = resolutionDue
        self.callbackDue = callbackDue
        self.mergedInto = mergedInto
        self.reference = ""
        self.tags = tags
        self.id = id
        self.status = status
        self.owner = owner
        self.assignee = assignee
        self.team = team
        self.escalated = escalated
        self.firstResponseDue = firstResponseDue
        self.customer = customer
        self.messages = messages
    }
}

/// How a context provider's data for one customer came to be (or not).
public struct ContextStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case ok, stale, pending, timeout, error }
    public var state: State
    public var message: String?
    public var fetchedAt: Date?

    enum CodingKeys: String, CodingKey {
        case state, message
        case fetchedAt = "fetched_at"
    }

    public init(state: State, message: String? = nil, fetchedAt: Date? = nil) {
        self.state = state
        self.message = message
        self.fetchedAt = fetchedAt
    }
}

/// One line of a customer search.
public struct CustomerSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String?
    public var identities: [IdentityRecord]
    public var contacts: Int
    public var lastContactAt: Date?
    public var conversation: Int64?
    public var owner: String?
    public var assignee: String?

    enum CodingKeys: String, CodingKey {
        case id, name, identities, contacts, conversation, owner, assignee
        case lastContactAt = "last_contact_at"
    }

    public init(
        id: Int64, name: String?, identities: [IdentityRecord], contacts: Int, lastContactAt: Date?, conversation: Int64?,
        owner: String?, assignee: String?
    ) {
        self.id = id
        self.name = name
        self.identities = identities
        self.contacts = contacts
        self.lastContactAt = lastContactAt
        self.conversation = conversation
        self.owner = owner
        self.assignee = assignee
    }
}

/// One way to answer the customer: an adapter, the address it would use, and what that channel
/// allows now — so the agent sees a closed reply window before writing, not after.
public struct ReplyChannel: Sendable, Codable, Equatable {
    public var adapter: String
    public var address: String
    /// The adapter of the customer's latest message: where a reply goes by default.
    public var isDefault: Bool
    public var canReply: Bool
    /// Why not, or what it takes (e.g. a template outside the window).
    public var reason: String?
    /// When the free-form reply window closes (channels with one, like WhatsApp).
    public var windowClosesAt: Date?
    public var maxTextLength: Int?
    /// The files a reply through it may carry; nil: text only.
    public var attachments: ReplyFileLimits?
    /// The templates a reply through it may send instead of text (usable outside the window).
    public var templates: [MessageTemplate]?

    enum CodingKeys: String, CodingKey {
        case adapter, address, reason, attachments, templates
        case isDefault = "default"
        case canReply = "can_reply"
        case windowClosesAt = "window_closes_at"
        case maxTextLength = "max_text_length"
    }

    public init(
        adapter: String, address: String, isDefault: Bool, canReply: Bool, reason: String?, windowClosesAt: Date?, maxTextLength: Int?,
        attachments: ReplyFileLimits? = nil, templates: [MessageTemplate]? = nil
    ) {
        self.attachments = attachments
        self.templates = templates
        self.adapter = adapter
        self.address = address
        self.isDefault = isDefault
        self.canReply = canReply
        self.reason = reason
        self.windowClosesAt = windowClosesAt
        self.maxTextLength = maxTextLength
    }
}

/// Which SLA policy a conversation's clocks run under, why it applies, and the clocks it promises
/// (seconds of open time; `business_hours`: the clocks stand still outside them).
public struct SLAView: Sendable, Codable, Equatable {
    public var policy: String
    public var reason: String
    public var firstResponseSeconds: Double
    public var nextResponseSeconds: Double
    public var resolutionSeconds: Double?
    public var businessHours: Bool

    enum CodingKeys: String, CodingKey {
        case policy, reason
        case firstResponseSeconds = "first_response_seconds"
        case nextResponseSeconds = "next_response_seconds"
        case resolutionSeconds = "resolution_seconds"
        case businessHours = "business_hours"
    }

    public init(_ applied: AppliedSLA) {
        policy = applied.id
        reason = applied.reason
        firstResponseSeconds = applied.firstResponse.seconds
        nextResponseSeconds = applied.nextResponse.seconds
        resolutionSeconds = applied.resolution?.seconds
        businessHours = !applied.hours.isAlwaysOpen
    }
}
