import Foundation
import SwitchboardAdapterAPI
import Synchronization

/// The in-memory engine: the same primitives as the SQL engines, over dictionaries behind one
/// lock. The core's services run on it in unit tests (no files, no servers), and the store
/// conformance suite runs on it like on every engine. Nothing survives the process.
public final class MemoryStore: Store {
    struct AgentRow {
        var status: AgentStatus = .available
        var openAssigned = 0
        var assignSeq: Int64 = 0
        var configured = true
    }

    struct CustomerRow {
        var name: String?
        var contacts = 0
        var firstContactAt: Date?
        var lastContactAt: Date?
        var createdAt: Date
        var mergedInto: Int64?
        var erasedAt: Date?
    }

    struct IdentityRow {
        var customer: Int64
        var channel: String
        var address: String
        var adapter: String
    }

    /// A message as kept: the record plus what only routing reads.
    struct MessageRow {
        var record: MessageRecord
        var address: String?
        var threadRef: String?
        var identity: Int64?
        /// Set once erasure or retention removed its content.
        var redactedAt: Date?
    }

    struct OutboxRow {
        var adapter: String
        var inReplyToExternalID: String?
        var nextAttemptAt: Date
        var attempts = 0
        var quoted: Bool
        var purpose: OutboundMessage.Purpose
        var claimedBy: String?
        var leaseUntil: Date?
    }

    struct MergeRow {
        var id: Int64
        var survivor: Int64
        var absorbed: Int64
        var survivorState: ConversationState
        var absorbedState: ConversationState
        var lastMessage: Int64
        var movedIdentities: [Int64]
        var movedMessages: [Int64]
        var undone = false
        var mergedBy = ""
        var mergedAt = Date(timeIntervalSince1970: 0)
        var undoneBy: String?
        var undoneAt: Date?
    }

    struct QueueRow {
        var item: QueuedItem
        var claimedBy: String?
        var leaseUntil: Date?
    }

    struct FiringRow {
        var rule: String
        var conversation: Int64
        var key: String
        var at: Date
    }

    struct MessageKey: Hashable {
        var adapter: String
        var externalID: String
        var direction: MessageDirection
    }

    struct Tables {
        var nextID: Int64 = 1
        var agents: [String: AgentRow] = [:]
        var customers: [Int64: CustomerRow] = [:]
        var identities: [Int64: IdentityRow] = [:]
        var identityIndex: [ChannelIdentity: Int64] = [:]
        var conversations: [Int64: ConversationState] = [:]
        var conversationOfCustomer: [Int64: Int64] = [:]
        /// Written through ``putMessage(_:_:)``, which keeps `contactCounts`.
        var messages: [Int64: MessageRow] = [:]
        /// The customer card's contacts per channel: conversation → adapter → inbound messages
        /// that are not automated replies (the SQL engines keep the same table by triggers).
        var contactCounts: [Int64: [String: Int]] = [:]
        var thread: [Int64: [Int64]] = [:]
        var messageIndex: [MessageKey: Int64] = [:]
        var outbox: [Int64: OutboxRow] = [:]
        var earlyStatuses: [String: [(DeliveryStatusUpdate.State, String?)]] = [:]
        var tags: [Int64: Set<String>] = [:]
        /// Each conversation's participants, in the order they were first named.
        var participants: [Int64: [ConversationParticipant]] = [:]
        var suggestions: [Suggestion] = []
        var merges: [MergeRow] = []
        var contents: [String: Data] = [:]
        /// How many attachments refer to each stored content (it goes when none does).
        var contentRefs: [String: Int] = [:]
        /// Uploads waiting to be sent (see MemoryStore+Uploads.swift).
        var uploads: [Int64: Upload] = [:]
        /// Platform media ids recorded for queued replies' files: message → index → id.
        var outboundMedia: [Int64: [Int: String]] = [:]
        var key: [UInt8]?
        var queue: [Int64: QueueRow] = [:]
        var firings: [FiringRow] = []
        var search = MemorySearchIndex()
        var mentionTable = MentionTable()
        /// Media-fetch jobs by message (see MemoryStore+MediaFetches.swift).
        var mediaFetches: [Int64: MediaFetchRow] = [:]

        /// Stores (or replaces) a message row, moving its contact count with it.
        mutating func putMessage(_ id: Int64, _ row: MessageRow) {
            countContact(messages[id]?.record, -1)
            messages[id] = row
            countContact(row.record, 1)
        }

        private mutating func countContact(_ record: MessageRecord?, _ delta: Int) {
            guard let record, record.direction == .inbound, record.metadata?["automated"] == nil else { return }
            contactCounts[record.conversationID, default: [:]][record.adapter ?? "unknown", default: 0] += delta
        }

        mutating func id() -> Int64 {
            defer { nextID += 1 }
            return nextID
        }
    }

    let tables = Mutex(Tables())
    let sessionTable = Mutex(Sessions())
    let cannedTable = Mutex(CannedTable())
    /// The audit trail and second factors (see MemoryStore+Audit.swift). Taken after `tables` when both are.
    let trust = Mutex(TrustTables())
    let positionTable = Mutex([MailboxKey: MailboxPosition]())
    /// Adapters' small durable values, by adapter and key (see MemoryStore+AdapterValues.swift).
    let adapterValueTable = Mutex([AdapterValueKey: String]())

    public init() {}

    public func prepare(agents: [Agent]) async throws {
        tables.withLock { t in
            for id in t.agents.keys { t.agents[id]?.configured = false }
            for agent in agents {
                t.agents[agent.id, default: AgentRow()].configured = true
            }
        }
    }

    public func agentStatus(_ agentID: String) async throws -> AgentStatus {
        tables.withLock { $0.agents[agentID]?.status ?? .offline }
    }

    public func agentLoads() async throws -> [String: AgentLoad] {
        tables.withLock { $0.loads }
    }

    public func setAgentStatus(_ agentID: String, _ status: AgentStatus) async throws {
        tables.withLock { $0.agents[agentID]?.status = status }
    }

    public func gatewayKey() async throws -> GatewayKey {
        GatewayKey(
            tables.withLock { t in
                if t.key == nil { t.key = GatewayKey.generate() }
                return t.key!
            })
    }

    public func checkHealth() async throws {}
    public func close() async throws {}
}

extension MemoryStore.Tables {
    var loads: [String: AgentLoad] {
        var loads: [String: AgentLoad] = [:]
        for (id, row) in agents where row.configured {
            loads[id] = AgentLoad(agentID: id, status: row.status, openAssigned: row.openAssigned, lastAssignedSeq: row.assignSeq)
        }
        return loads
    }

    mutating func apply(_ change: LoadChange) {
        var loads = self.loads
        loads.apply(change)
        switch change {
        case .assigned(let agent):
            agents[agent]?.openAssigned += 1
            agents[agent]?.assignSeq = loads[agent]?.lastAssignedSeq ?? 0
        case .unassigned(let agent):
            if let open = agents[agent]?.openAssigned { agents[agent]?.openAssigned = max(0, open - 1) }
        }
    }

    /// A conversation's messages in the thread's order (time, then id), as the SQL engines read it.
    func messagesOf(_ conversation: Int64) -> [MemoryStore.MessageRow] {
        (thread[conversation] ?? []).compactMap { messages[$0] }
    }

    /// Puts a stored message into its conversation's thread, keeping the thread's order: a merge
    /// moves older messages in, and an import may store older ones after newer.
    mutating func addToThread(_ id: Int64, conversation: Int64) {
        guard let record = messages[id]?.record else { return }
        let key = (record.createdAt, record.id)
        var ids = thread[conversation] ?? []
        let after = ids.lastIndex { messages[$0].map { ($0.record.createdAt, $0.record.id) < key } ?? true }
        ids.insert(id, at: after.map { $0 + 1 } ?? 0)
        thread[conversation] = ids
    }

    /// Inserts a planned message (and its outbox row) and returns it as the API shows it.
    mutating func insert(_ message: PlannedMessage, ids: PlanIDs, identity: Int64?, earlier: [MessageRecord]) -> MessageRecord {
        let inReplyTo: Int64? =
            switch message.inReplyTo {
            case .stored(let id)?: id
            case .planned(let index)?: earlier[index].id
            case nil: nil
            }
        let identityID: Int64? =
            switch message.identity {
            case .stored(let id)?: id
            case .new?: identity
            case nil: nil
            }
        let attachments = message.attachments.map { attachment -> Attachment in
            guard let kept = attachment.keptAsStored() else { return attachment }
            contents[kept.sha256] = kept.content
            contentRefs[kept.sha256, default: 0] += 1
            return kept.attachment
        }
        let id = self.id()
        let record = MessageRecord(
            id: id, conversationID: ids.conversation, direction: message.direction, adapter: message.adapter, channel: message.channel,
            body: message.body.text(ids), createdAt: message.createdAt, sentAt: message.sentAt, externalID: message.externalID,
            author: message.author, inReplyTo: inReplyTo, delivery: message.delivery, metadata: message.metadata,
            attachments: attachments.isEmpty ? nil : attachments)
        putMessage(id, MemoryStore.MessageRow(record: record, address: message.address, threadRef: message.threadRef, identity: identityID))
        addToThread(id, conversation: ids.conversation)
        search.index(record)
        if let external = message.externalID, let adapter = message.adapter {
            messageIndex[MemoryStore.MessageKey(adapter: adapter, externalID: external, direction: message.direction)] = id
        }
        if let adapter = message.adapter, message.direction == .inbound, attachments.contains(where: \.isFetching) {
            mediaFetches[id] = MediaFetchRow(adapter: adapter, dueAt: message.createdAt)
        }
        if let outbox = message.outbox {
            self.outbox[id] = MemoryStore.OutboxRow(
                adapter: outbox.adapter, inReplyToExternalID: outbox.inReplyToExternalID, nextAttemptAt: outbox.nextAttemptAt,
                quoted: outbox.quoted, purpose: outbox.purpose)
        }
        return record
    }

    /// Writes a plan for one conversation.
    mutating func apply(_ plan: ConversationPlan) -> AppliedPlan {
        conversations[plan.state.id] = plan.state
        plan.loads.forEach { apply($0) }
        let ids = PlanIDs(customer: plan.state.customerID, conversation: plan.state.id)
        var records: [MessageRecord] = []
        for message in plan.messages { records.append(insert(message, ids: ids, identity: nil, earlier: records)) }
        applyAutomation(plan, at: plan.state.lastMessageAt)
        return AppliedPlan(before: plan.before, state: plan.state, messages: records)
    }
}
