import Foundation
import SwitchboardAdapterAPI

// Durable state, as roles. Each service takes the roles it uses; an engine (memory, SQLite,
// PostgreSQL) is all of them at once (``Store``). The rules live in the planners: engines read,
// call the plan they are given inside their transaction, and write what it decided. Every method
// that changes state commits before it returns.

/// The agents: the configured ones, their availability and open loads.
public protocol AgentStore: Sendable {
    /// Creates or migrates the schema and records the configured agents.
    func prepare(agents: [Agent]) async throws
    func agentStatus(_ agentID: String) async throws -> AgentStatus
    /// Every configured agent's status and load.
    func agentLoads() async throws -> [String: AgentLoad]
    func setAgentStatus(_ agentID: String, _ status: AgentStatus) async throws
}

/// Where inbound messages are stored.
public protocol InboundStore: Sendable {
    /// Stores a group in one transaction, each message planned by ``InboundPlanner`` with what the
    /// transaction sees (earlier messages of the group included). One outcome per item, in order.
    /// Idempotent on (adapter, external id).
    func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome]
    /// The same, committed and visible but not yet necessarily on disk: an engine whose durability is
    /// one flush of a log (SQLite's WAL) writes the next group while the previous one is flushed.
    /// Nothing stored this way may be acknowledged before ``syncCommitted()`` returns.
    func ingestCommittingLater(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome]
    /// Makes everything committed before this call durable (one flush covers many groups). Throws
    /// ``StoreError/unavailable(_:)`` when it cannot tell (the waiting groups are refused, later ones go
    /// on); any other error means committed data may be lost, and ingestion stops.
    func syncCommitted() async throws
}

extension InboundStore {
    /// Engines whose commit is durable (PostgreSQL with synchronous_commit, memory) commit as usual.
    public func ingestCommittingLater(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        try await ingest(items, policy: policy)
    }

    public func syncCommitted() async throws {}
}

/// Conversations: read, and changed only through plans.
public protocol ConversationStore: Sendable {
    func conversations(_ query: ConversationQuery) async throws -> [ConversationSummary]
    /// The conversation with its whole thread (`page` nil), or with one page of it, oldest first,
    /// and ``ConversationDetail/nextBefore`` when older messages exist. A `before` that is not a
    /// message of this conversation gives an empty page (the desk refuses it first).
    func conversation(_ id: Int64, page: MessagePage?) async throws -> ConversationDetail?
    func access(conversation id: Int64) async throws -> ConversationAccess?
    func access(message id: Int64) async throws -> ConversationAccess?
    /// The route of a reply: through the adapter of `inReplyTo`, else of the latest inbound message,
    /// or through `via` explicitly. Nil when no address is known for that adapter.
    func replyRoute(conversation: Int64, inReplyTo: Int64?, via: String?, identityChannel: String?) async throws -> ReplyRoute?
    /// Reads conversation `id` (and, with `routing`, the agents' loads, taken first so that every
    /// operation locks in one order), lets `plan` decide, writes what it decided: one transaction.
    /// Throws ``StoreError/missing(_:)`` when there is no such conversation; nil when the plan decided nothing.
    func change(
        conversation id: Int64, routing: Bool, _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad]) throws -> ConversationPlan?
    ) async throws -> AppliedPlan?
    /// The same for several conversations found by `selections` (each list in its order), agents first.
    func change(
        selecting selections: [ConversationSelection],
        _ plan: @escaping @Sendable ([[ConversationState]], [String: AgentLoad]) throws -> [ConversationPlan]
    ) async throws -> [AppliedPlan]
    /// Adds tags to a conversation (idempotent); returns all its tags.
    func addTags(conversation: Int64, tags: [String], by agent: String, at: Date) async throws -> [String]
    /// Open conversations owned by or assigned to agents no longer configured, so they can be
    /// redistributed at start-up instead of being orphaned.
    func orphanedConversations() async throws -> [ConversationAccess]
}

extension ConversationStore {
    /// The conversation with its whole thread.
    public func conversation(_ id: Int64) async throws -> ConversationDetail? { try await conversation(id, page: nil) }
    /// The conversation with its newest message only: for what belongs to the conversation (its
    /// customer, holders, clocks), whose cost must not grow with the thread.
    public func conversationHead(_ id: Int64) async throws -> ConversationDetail? {
        try await conversation(id, page: MessagePage(limit: 1))
    }
}

/// The promises' clocks.
public protocol PromiseStore: Sendable {
    /// Open conversations whose promises need attention at `now`, each kind longest overdue first:
    /// first response overdue and not yet flagged, past the 80 % warning and not yet warned,
    /// resolution overdue, or unanswered for `staleAfter` since the last (re)assignment.
    func promisesDue(now: Date, staleAfter: Duration?, limit: Int) async throws -> [PromiseDue]
}

/// Customers and who they are.
public protocol CustomerStore: Sendable {
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
}

/// The durable outbox replies leave through.
public protocol OutboxStore: Sendable {
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
}

/// Figures and the front line's suggestions, for supervisors.
public protocol ReportStore: Sendable {
    /// Figures for supervisors since a moment.
    func reportSummary(since: Date, now: Date) async throws -> ReportSummary
    /// Conversations active since a moment, for export.
    func exportConversations(since: Date, limit: Int) async throws -> [ConversationExportRow]
    /// Records a suggestion from the front line for supervisors.
    func addSuggestion(author: String, body: String, conversation: Int64?, at: Date) async throws -> Suggestion
    func suggestions(limit: Int) async throws -> [Suggestion]
}

/// Attachment bytes kept with their messages.
public protocol AttachmentStore: Sendable {
    /// The attachment at `index` (0-based, in the message's order) of message `message`, with its
    /// bytes when they were stored; nil when there is no such message or attachment.
    func attachment(message: Int64, index: Int) async throws -> StoredAttachment?
}

/// What rules and SLA policies read about one conversation, without its whole thread.
public protocol ConversationFactsStore: Sendable {
    /// The conversation's row, tags and customer, and one message: `message` when it is one of this
    /// conversation's, else the customer's latest inbound message. Nil when there is no such conversation.
    func conversationFacts(conversation id: Int64, message: Int64?) async throws -> ConversationFacts?
}

/// The durable automation queue: events for the rules and for each webhook endpoint, taken in
/// order per conversation under a lease, retried, and kept as dead letters when they fail.
public protocol AutomationQueueStore: Sendable {
    func enqueue(_ events: [QueuedEvent]) async throws
    /// Claims up to `limit` due events of `consumer` until `leaseUntil`, each the oldest event of its
    /// conversation still queued for the consumer: a conversation's events are handled one at a
    /// time, in order, while other conversations' go on.
    func claimQueued(consumer: String, now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [QueuedItem]
    /// Records how handling claimed events ended, all in one transaction (a batch costs one commit).
    func completeQueued(_ completions: [QueueCompletion], at: Date) async throws
    /// A consumer's events of one state (nil: all), newest first, with ids below `before`.
    func queuedEvents(consumer: String, state: QueueState?, before: Int64?, limit: Int) async throws -> [QueuedItem]
    /// Puts failed events back in the queue with fresh attempts (these ids, or all failed ones of
    /// the consumer); returns how many.
    func replayQueued(consumer: String, ids: [Int64]?, at: Date) async throws -> Int
    /// When the consumer's next queued event comes due (nil: none is queued).
    func nextQueuedDue(consumer: String) async throws -> Date?
    /// Removes the consumer's delivered events done before `deliveredBefore`, and dead-letters queued
    /// ones created before `expire.before` (when given) that were never delivered, with its error.
    func pruneQueued(consumer: String, deliveredBefore: Date, expire: QueueExpiry?, at: Date) async throws
}

/// Rules acting on conversations.
public protocol RuleStore: Sendable {
    /// In one transaction: reads the conversation (and the agents' loads), refuses a firing made
    /// before (same rule, conversation and key, or — with `onceSince` — any firing of the rule on it
    /// since then), counts the conversation's firings since `recentSince`, lets `plan` decide, and
    /// writes the plan with the firing. Throws ``StoreError/missing(_:)`` for an unknown conversation.
    func applyRule(
        _ firing: RuleFiring, conversation id: Int64,
        _ plan: @escaping @Sendable (_ state: ConversationState, _ loads: [String: AgentLoad], _ firedRecently: Int) throws -> ConversationPlan?
    ) async throws -> RuleApplication
    /// Open and pending conversations with ids above `after`, in id order (scheduled rules page through them).
    func activeConversations(after id: Int64, limit: Int) async throws -> [Int64]
    /// Lets the acknowledgements of this conversation that wait for the rules go now.
    func releaseAcknowledgements(conversation: Int64, at: Date) async throws
}

/// How far each mailbox an adapter reads has been read (``MailboxPositions``): kept with the
/// messages, so a restart, a new leader or an outage neither skips nor repeats mail.
public protocol MailboxPositionStore: MailboxPositions {}

/// Small values adapters keep across restarts (``AdapterValues``: a rotated OAuth2 refresh
/// token), one row per adapter and key, shared by every gateway on the database.
public protocol AdapterValueStore: AdapterValues {}

/// The engine itself: its key, its health, its end.
public protocol StorageEngine: Sendable {
    /// The gateway's own key, made on first use and kept with the data.
    func gatewayKey() async throws -> GatewayKey
    /// Throws when storage is unreachable.
    func checkHealth() async throws
    func close() async throws
}

/// Everything a gateway stores: what each engine (memory, SQLite, PostgreSQL) is. Moving a
/// deployment between SQL engines (``TransferStore``) is a capability of the SQL engines only,
/// passed where the tools are composed.
public typealias Store = AgentStore & InboundStore & ConversationStore & PromiseStore & CustomerStore & OutboxStore & ReportStore
    & AttachmentStore & InboxPreviewStore & SessionStore & SearchStore & CannedResponseStore & MentionStore
    & ConversationFactsStore & AutomationQueueStore & RuleStore & AuditStore & SecondFactorStore & CustomerDataStore
    & MailboxPositionStore & UploadStore & ParticipantStore & AdapterValueStore & MediaFetchStore & StorageEngine
