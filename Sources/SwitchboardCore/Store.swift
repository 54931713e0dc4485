import Foundation
import SwitchboardAdapterAPI

/// One thing to store from one adapter.
public struct IngestItem: Sendable {
    public var adapter: String
    public var event: InboundEvent
    public var receivedAt: Date

    public init(adapter: String, event: InboundEvent, receivedAt: Date) {
        self.adapter = adapter
        self.event = event
        self.receivedAt = receivedAt
    }
}

/// An assignment decision, recorded in the thread as an `event` message.
public struct AssignmentChange: Sendable, Equatable {
    public var owner: String?
    public var assignee: String?
    public var reason: String
    public var event: MessageRecord?

    public init(owner: String?, assignee: String?, reason: String, event: MessageRecord? = nil) {
        self.owner = owner
        self.assignee = assignee
        self.reason = reason
        self.event = event
    }
}

/// The decisions the store applies while ingesting, supplied by the core so that every store
/// implementation routes the same way.
public struct IngestPolicy: Sendable {
    public var assignment: AssignmentPolicy
    /// Team whose agents take new customers arriving through an adapter.
    public var teamOfAdapter: @Sendable (String) -> String?
    /// How long until the first response is due, per adapter.
    public var firstResponse: @Sendable (String) -> Duration
    public var normalizer: IdentityNormalizer
    /// How long a missed call may wait for its call back, per adapter.
    public var callbackWithin: @Sendable (String) -> Duration
    public var acknowledgement: AcknowledgementPolicy
    /// How soon a customer who writes again after an answer must be answered, per adapter.
    public var nextResponse: @Sendable (String) -> Duration
    /// How soon a request must be resolved, per adapter; nil: no resolution promise.
    public var resolution: @Sendable (String) -> Duration?
    /// The hours in which every promise's clock runs.
    public var businessHours: BusinessHours
    /// Formats the references quoted to customers and recognises them (their check part).
    public var references: ConversationReferences
    /// `sla:`: the policies tried before the default clocks above.
    public var slaPolicies: [SLAPolicy]
    /// The context-provider data already cached for a customer (never fetched here: ingestion does
    /// not wait for the network), for policies chosen by it.
    public var cachedContext: @Sendable (Int64) -> [String: JSONValue]

    /// Events for the automation queue (the rules, webhook endpoints) an outcome causes, written in
    /// the transaction that stores it, so that no event is lost once the channel got its 2xx.
    public var journal: (@Sendable (IngestOutcome) -> [QueuedEvent])?
    /// How long an acknowledgement waits for the rules of the message that caused it (a rule may
    /// mark it spam); the rules release it as soon as they ran. Nil: it goes at once.
    public var acknowledgementHold: Duration?
    /// Which requests' acknowledgements are held: those whose message the rules look at.
    public var acknowledgementHeldFor: Set<RequestStart> = [.created, .reopened]

    /// The SLA policies with the default clocks above.
    public var sla: SLAPolicies {
        SLAPolicies(policies: slaPolicies, firstResponse: firstResponse, nextResponse: nextResponse, resolution: resolution, hours: businessHours)
    }

    public init(
        assignment: AssignmentPolicy, teamOfAdapter: @escaping @Sendable (String) -> String?,
        firstResponse: @escaping @Sendable (String) -> Duration, normalizer: IdentityNormalizer = IdentityNormalizer(),
        callbackWithin: @escaping @Sendable (String) -> Duration = { _ in .seconds(4 * 3600) },
        acknowledgement: AcknowledgementPolicy = .off, nextResponse: (@Sendable (String) -> Duration)? = nil,
        resolution: @escaping @Sendable (String) -> Duration? = { _ in nil }, businessHours: BusinessHours = .always,
        references: ConversationReferences = GatewayKey(GatewayKey.generate()).references, slaPolicies: [SLAPolicy] = [],
        cachedContext: @escaping @Sendable (Int64) -> [String: JSONValue] = { _ in [:] }
    ) {
        self.slaPolicies = slaPolicies
        self.cachedContext = cachedContext
        self.references = references
        self.nextResponse = nextResponse ?? firstResponse
        self.resolution = resolution
        self.businessHours = businessHours
        self.callbackWithin = callbackWithin
        self.acknowledgement = acknowledgement
        self.assignment = assignment
        self.teamOfAdapter = teamOfAdapter
        self.firstResponse = firstResponse
        self.normalizer = normalizer
    }
}

/// Which conversations a list asks for.
public struct ConversationQuery: Sendable {
    public enum StatusFilter: String, Sendable { case open, pending, resolved, all }
    public var viewer: Viewer
    public var status: StatusFilter
    public var limit: Int
    /// Only conversations flagged escalated (by an agent or a breached promise).
    public var escalatedOnly: Bool
    /// Only conversations whose response or resolution promise is broken.
    public var breachedOnly: Bool

    public init(viewer: Viewer, status: StatusFilter = .open, limit: Int = 100, escalatedOnly: Bool = false, breachedOnly: Bool = false) {
        self.breachedOnly = breachedOnly
        self.viewer = viewer
        self.status = status
        self.limit = limit
        self.escalatedOnly = escalatedOnly
    }
}

/// Where a reply leaves: the adapter, the customer's address there, and the message it answers.
public struct ReplyRoute: Sendable, Equatable {
    public var adapter: String
    public var address: String
    public var threadRef: String?
    /// Our id and the channel's id of the customer's message being answered.
    public var inReplyTo: Int64?
    public var inReplyToExternalID: String?
    /// The customer's last message through this adapter (reply windows count from it).
    public var lastInboundAt: Date?
    /// Whether the agent chose the message answered (`in_reply_to`), so channels that quote it visibly should.
    public var quoted: Bool

    public init(
        adapter: String, address: String, threadRef: String?, inReplyTo: Int64?, inReplyToExternalID: String?,
        lastInboundAt: Date?, quoted: Bool = false
    ) {
        self.quoted = quoted
        self.adapter = adapter
        self.address = address
        self.threadRef = threadRef
        self.inReplyTo = inReplyTo
        self.inReplyToExternalID = inReplyToExternalID
        self.lastInboundAt = lastInboundAt
    }
}

/// A reply the outbox must deliver now.
public struct OutboxItem: Sendable, Equatable {
    public var messageID: Int64
    public var conversationID: Int64
    public var adapter: String
    public var address: String
    public var threadRef: String?
    public var body: String
    public var inReplyToExternalID: String?
    public var attempts: Int
    /// The agent chose the message answered (see ``ReplyRoute/quoted``).
    public var quoted: Bool
    public var purpose: OutboundMessage.Purpose
    public var customerName: String?
    /// What the adapter recorded with the answered message.
    public var inReplyToMetadata: [String: String]
    /// What was recorded with the reply itself (the template it sends, see ``TemplateReply/metadata``).
    public var metadata: [String: String]

    public init(
        messageID: Int64, conversationID: Int64, adapter: String, address: String, threadRef: String?, body: String,
        inReplyToExternalID: String?, attempts: Int, quoted: Bool = false, purpose: OutboundMessage.Purpose = .reply,
        customerName: String? = nil, inReplyToMetadata: [String: String] = [:], metadata: [String: String] = [:]
    ) {
        self.metadata = metadata
        self.purpose = purpose
        self.customerName = customerName
        self.inReplyToMetadata = inReplyToMetadata
        self.quoted = quoted
        self.messageID = messageID
        self.conversationID = conversationID
        self.adapter = adapter
        self.address = address
        self.threadRef = threadRef
        self.body = body
        self.inReplyToExternalID = inReplyToExternalID
        self.attempts = attempts
    }
}

/// How one delivery attempt ended.
public enum DeliveryAttemptResult: Sendable {
    case delivered(DeliveryReceipt)
    /// Try again at `retryAt`.
    case retry(error: String, retryAt: Date)
    /// Give up: the reply is dead-lettered as `failed` with this error.
    case failed(error: String)
}

/// Something an agent thinks the team should do differently, for supervisors.
public struct Suggestion: Sendable, Codable, Equatable {
    public var id: Int64
    public var author: String
    public var body: String
    public var conversation: Int64?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, author, body, conversation
        case createdAt = "created_at"
    }

    public init(id: Int64, author: String, body: String, conversation: Int64?, createdAt: Date) {
        self.id = id
        self.author = author
        self.body = body
        self.conversation = conversation
        self.createdAt = createdAt
    }
}

/// A conversation whose promise is due.
public struct PromiseDue: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case warning, breach, stale, resolution

        /// The column each kind comes due by; every engine lists the longest overdue first.
        public var dueColumn: String {
            switch self {
            case .warning: "sla_warn_at"
            case .breach: "first_response_due"
            case .stale: "awaiting_since"
            case .resolution: "resolution_due"
            }
        }
    }
    public var kind: Kind
    public var conversation: ConversationAccess
    public var due: Date?
    public var awaitingSince: Date?

    public init(kind: Kind, conversation: ConversationAccess, due: Date?, awaitingSince: Date?) {
        self.kind = kind
        self.conversation = conversation
        self.due = due
        self.awaitingSince = awaitingSince
    }
}

/// One assignment change made outside ingestion, with the agent who lost the conversation.
public struct AssignmentEvent: Sendable, Equatable {
    public var conversation: ConversationAccess
    public var previousAssignee: String?
    public var event: MessageRecord

    public init(conversation: ConversationAccess, previousAssignee: String?, event: MessageRecord) {
        self.conversation = conversation
        self.previousAssignee = previousAssignee
        self.event = event
    }
}

/// A conversation's routing facts, for access checks and event fan-out.
public struct ConversationAccess: Sendable, Equatable {
    public var id: Int64
    public var owner: String?
    public var assignee: String?
    public var team: String?
    public var status: ConversationStatus

    public init(id: Int64, owner: String?, assignee: String?, team: String?, status: ConversationStatus) {
        self.id = id
        self.owner = owner
        self.assignee = assignee
        self.team = team
        self.status = status
    }
}

/// One attachment of a stored message as the agent API serves it.
public struct StoredAttachment: Sendable, Equatable {
    /// The metadata the message shows (name, type, size, `sha256`, `stored`).
    public var attachment: Attachment
    /// The bytes; nil when only metadata was kept.
    public var content: Data?

    public init(attachment: Attachment, content: Data?) {
        self.attachment = attachment
        self.content = content
    }
}

/// What a merge or its undoing changed: both conversations' routing facts afterwards, the events
/// recorded, and the agents who lost work.
public struct MergeOutcome: Sendable, Equatable {
    public var survivor: ConversationAccess
    public var absorbed: ConversationAccess
    public var events: [MessageRecord]
    public var movedMessages: Int

    public init(survivor: ConversationAccess, absorbed: ConversationAccess, events: [MessageRecord], movedMessages: Int) {
        self.survivor = survivor
        self.absorbed = absorbed
        self.events = events
        self.movedMessages = movedMessages
    }
}
