import Foundation

/// The audit trail: an append-only chain of entries (see ``AuditChain``).
///
/// Appends are serialised with every other append to the same database (one writer on SQLite; an
/// advisory lock held by the appending transaction on PostgreSQL), so the chain stays linear with
/// several gateways. Nothing but ``pruneAudit(before:_:)`` ever removes or changes an entry.
public protocol AuditStore: Sendable {
    /// In one transaction, serialised with every other append: reads the head (nil: the trail is
    /// empty), lets `seal` make the entry, and inserts it. Returns the entry.
    func appendAudit(_ seal: @escaping @Sendable (AuditHead?) -> AuditEntry) async throws -> AuditEntry
    /// Entries matching `query`, newest first.
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    /// Up to `limit` entries after position `seq`, oldest first (the chain as stored, for verifying).
    func auditChain(after seq: Int64, limit: Int) async throws -> [AuditEntry]
    /// In one transaction, serialised with appends: removes the entries older than `before` and,
    /// when any went, appends the entry `seal` makes from the head and what was removed. Returns
    /// how many went.
    func pruneAudit(before: Date, _ seal: @escaping @Sendable (AuditHead, AuditPruning) -> AuditEntry) async throws -> Int
}
