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

    public init(
        assignment: AssignmentPolicy, teamOfAdapter: @escaping @Sendable (String) -> String?,
        firstResponse: @escaping @Sendable (String) -> Duration, normalizer: IdentityNormalizer = IdentityNormalizer(),
        callbackWithin: @escaping @Sendable (String) -> Duration = { _ in .seconds(4 * 3600) },
        acknowledgement: AcknowledgementPolicy = .off, nextResponse: (@Sendable (String) -> Duration)? = nil,
        resolution: @escaping @Sendable (String) -> Duration? = { _ in nil }, businessHours: BusinessHours = .always,
        references: ConversationReferences = GatewayKey(GatewayKey.generate()).references
    ) {
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

    public init(
        messageID: Int64, conversationID: Int64, adapter: String, address: String, threadRef: String?, body: String,
        inReplyToExternalID: String?, attempts: Int, quoted: Bool = false, purpose: OutboundMessage.Purpose = .reply,
        customerName: String? = nil, inReplyToMetadata: [String: String] = [:]
    ) {
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

/// Durable state. Implementations: SQLite (embedded default) and, later, PostgreSQL. Every method
/// that changes state commits before it returns.
public protocol Store: Sendable {
    /// Creates or migrates the schema and records the configured agents.
    func prepare(agents: [Agent]) async throws

    /// Stores a batch in one transaction: identify the customer, thread, assign, persist.
    /// Returns one outcome per item, in order. Idempotent on (adapter, external id).
    func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome]

    func agentStatus(_ agentID: String) async throws -> AgentStatus
    /// Every configured agent's status and load.
    func agentLoads() async throws -> [String: AgentLoad]
    func setAgentStatus(_ agentID: String, _ status: AgentStatus) async throws

    func conversations(_ query: ConversationQuery) async throws -> [ConversationSummary]
    func conversation(_ id: Int64) async throws -> ConversationDetail?
    func access(conversation id: Int64) async throws -> ConversationAccess?
    func access(message id: Int64) async throws -> ConversationAccess?

    /// The route of a reply: through the adapter of `inReplyTo`, else of the latest inbound message,
    /// or through `via` explicitly. Nil when no address is known for that adapter.
    func replyRoute(conversation: Int64, inReplyTo: Int64?, via: String?, identityChannel: String?) async throws -> ReplyRoute?





    /// Adds tags to a conversation (idempotent); returns all its tags.
    func addTags(conversation: Int64, tags: [String], by agent: String, at: Date) async throws -> [String]
    /// Records a suggestion from the front line for supervisors.
    func addSuggestion(author: String, body: String, conversation: Int64?, at: Date) async throws -> Suggestion
    func suggestions(limit: Int) async throws -> [Suggestion]

    /// Open conversations whose promises need attention at `now`: first response overdue and not yet
    /// flagged, past the 80 % warning and not yet warned, or unanswered for `staleAfter` since the last
    /// (re)assignment.
    func promisesDue(now: Date, staleAfter: Duration?, limit: Int) async throws -> [PromiseDue]

    /// Reads conversation `id` (and, with `routing`, the agents' loads, taken first so that every
    /// operation locks in one order), lets `plan` decide, writes what it decided: one transaction.
    /// Throws 404 when there is no such conversation; nil when the plan decided nothing.
    func change(
        conversation id: Int64, routing: Bool, _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad]) throws -> ConversationPlan?
    ) async throws -> AppliedPlan?
    /// The same for several conversations found by `selections` (each list in its order).
    func change(
        selecting selections: [ConversationSelection],
        _ plan: @escaping @Sendable ([[ConversationState]], [String: AgentLoad]) throws -> [ConversationPlan]
    ) async throws -> [AppliedPlan]

    /// Open conversations owned by or assigned to agents no longer configured, so they can be
    /// redistributed at start-up instead of being orphaned.
    func orphanedConversations() async throws -> [ConversationAccess]


    /// Claims up to `limit` due deliveries for `claimer` until `leaseUntil`.
    func claimDeliveries(now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [OutboxItem]
    /// Records an attempt's result; returns the updated message.
    func completeDelivery(message: Int64, result: DeliveryAttemptResult, at: Date) async throws -> MessageRecord?
    /// The earliest time a queued delivery becomes due, if any.
    func nextDeliveryDue() async throws -> Date?
    /// Puts a failed reply back in the outbox with fresh attempts.
    func retryDelivery(message: Int64, at: Date) async throws -> MessageRecord?
    /// Releases claims a previous run of this process left behind.
    func releaseClaims(claimer: String) async throws

    /// The customer as the agent sees them: identities, contact counts, their conversation.
    func customer(_ id: Int64, now: Date) async throws -> CustomerDetail?
    /// Customers whose name or an address contains `text` (phone numbers compared digit by digit),
    /// limited to those `viewer` may see.
    func searchCustomers(_ text: String, viewer: Viewer, limit: Int) async throws -> [CustomerSummary]
    /// Adds an identity to a live customer, as `plan` decides: it sees the customer's conversation
    /// (nil: no such live customer) and who holds the address now (nil: nobody).
    func linkIdentity(
        customer: Int64, identity: ChannelIdentity, at: Date,
        _ plan: @escaping @Sendable (_ conversation: ConversationState?, _ holder: Int64?) throws -> PlannedMessage
    ) async throws -> MessageRecord
    /// Reads both customers, lets `plan` decide (or refuse) the merge, then moves identities and
    /// messages into one thread and records the merge so ``unmerge(customer:at:_:)`` can undo it.
    func merge(
        survivor: Int64, absorbed: Int64, at: Date,
        _ plan: @escaping @Sendable (_ survivor: MergeParty?, _ absorbed: MergeParty?) throws -> MergePlan
    ) async throws -> MergeOutcome
    /// Undoes the latest merge into `customer` (what moved goes back, with what arrived since through
    /// the moved identities); `plan` sees that merge (nil: none left) and writes the thread lines.
    func unmerge(customer: Int64, at: Date, _ plan: @escaping @Sendable (RecordedMerge?) throws -> UnmergePlan) async throws -> MergeOutcome


    /// Figures for supervisors since a moment.
    func reportSummary(since: Date, now: Date) async throws -> ReportSummary
    /// Conversations active since a moment, for export.
    func exportConversations(since: Date, limit: Int) async throws -> [ConversationExportRow]

    /// The attachment at `index` (0-based, in the message's order) of message `message`, with its
    /// bytes when they were stored; nil when there is no such message or attachment.
    func attachment(message: Int64, index: Int) async throws -> StoredAttachment?

    /// The gateway's own key, made on first use and kept with the data.
    func gatewayKey() async throws -> GatewayKey

    /// Throws when storage is unreachable.
    func checkHealth() async throws
    func close() async throws
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
