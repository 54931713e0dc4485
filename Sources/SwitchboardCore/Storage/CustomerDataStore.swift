import Foundation
import SwitchboardAdapterAPI

/// What a customer's record holds beyond their conversations (which ``ConversationStore`` reads).
public struct CustomerRecordFacts: Sendable, Equatable {
    public struct Identity: Sendable, Equatable {
        public var channel: String
        public var adapter: String
        public var address: String
        public var createdAt: Date

        public init(channel: String, adapter: String, address: String, createdAt: Date) {
            self.channel = channel
            self.adapter = adapter
            self.address = address
            self.createdAt = createdAt
        }
    }

    public struct Merge: Sendable, Equatable {
        public var id: Int64
        public var survivor: Int64
        public var absorbed: Int64
        public var mergedBy: String
        public var mergedAt: Date
        public var undoneBy: String?
        public var undoneAt: Date?

        public init(id: Int64, survivor: Int64, absorbed: Int64, mergedBy: String, mergedAt: Date, undoneBy: String?, undoneAt: Date?) {
            self.id = id
            self.survivor = survivor
            self.absorbed = absorbed
            self.mergedBy = mergedBy
            self.mergedAt = mergedAt
            self.undoneBy = undoneBy
            self.undoneAt = undoneAt
        }
    }

    public var id: Int64
    public var name: String?
    public var createdAt: Date
    public var erasedAt: Date?
    public var mergedInto: Int64?
    public var identities: [Identity]
    /// Customers merged into this one (directly or through others).
    public var absorbed: [Int64]
    /// This customer's conversation and those of the absorbed customers.
    public var conversations: [Int64]
    /// Every merge this customer or an absorbed one took part in.
    public var merges: [Merge]

    public init(
        id: Int64, name: String?, createdAt: Date, erasedAt: Date?, mergedInto: Int64?, identities: [Identity], absorbed: [Int64],
        conversations: [Int64], merges: [Merge]
    ) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.erasedAt = erasedAt
        self.mergedInto = mergedInto
        self.identities = identities
        self.absorbed = absorbed
        self.conversations = conversations
        self.merges = merges
    }
}

/// Customers' data as a whole: their record (right of access), its erasure, and retention.
///
/// Erasure and retention take the core's plan and execute it in one transaction; engines decide
/// nothing about what is personal. Whatever an engine keeps derived from message text or
/// customers' names (a search index) must be cleared in the same transaction, where each engine's
/// `erase` and `applyRetention` mark it.
public protocol CustomerDataStore: Sendable {
    /// The facts of a customer's record; nil when there is no such customer.
    func customerRecordFacts(_ id: Int64) async throws -> CustomerRecordFacts?
    /// In one transaction, serialised with ingestion: reads the customer (and those merged into
    /// them) with every message of their conversations, lets `plan` decide, writes the plan —
    /// names blanked, identities deleted, messages redacted, queued replies cancelled, contents
    /// no other message refers to deleted, merge records of these customers deleted — and appends
    /// the audit entry `seal` makes of the plan's event.
    func erase(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (ErasureSnapshot) throws -> ErasurePlan,
        audit seal: @escaping @Sendable (AuditEvent, AuditHead?) -> AuditEntry
    ) async throws -> ErasureOutcome
    /// The adapters of messages not yet redacted (a few index lookups, not a scan).
    func retentionAdapters() async throws -> [String]
    /// In one short transaction: reads one batch of candidates (oldest first, after the cursor),
    /// lets `plan` decide, writes it.
    func applyRetention(
        _ query: RetentionQuery, at: Date, _ plan: @escaping @Sendable ([RetentionCandidate]) -> RetentionPlan
    ) async throws -> RetentionBatchOutcome
    /// After a retention pass removed something: makes the removed content unrecoverable from the
    /// engine's own files where it could linger (SQLite: folds its write-ahead log, which still holds
    /// the pages as they were, into the database and empties it). Best effort; erasure does it itself.
    func compactAfterRemoval() async
}
