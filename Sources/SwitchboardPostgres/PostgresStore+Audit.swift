import Foundation
import PostgresNIO
import SwitchboardCore

/// The audit trail, shared by every gateway: each append takes a transaction-scoped advisory lock
/// before it reads the head, so appends from several gateways form one linear chain (the primary
/// key on `seq` would refuse a fork anyway).
extension PostgresStore {
    public func appendAudit(_ seal: @escaping @Sendable (AuditHead?) -> AuditEntry) async throws -> AuditEntry {
        try await write { db in try await Self.appendAudit(db, seal) }
    }

    /// Appends inside the caller's transaction (an erasure records itself with its changes).
    static func appendAudit(_ db: PGSession, _ seal: (AuditHead?) -> AuditEntry) async throws -> AuditEntry {
        try await db.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.auditLock))")
        let head = try await db.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .map { AuditHead(seq: try $0["seq"], hash: try $0["hash"]) }
        let entry = seal(head)
        let details = String(decoding: JSONCoding.encode(entry.details), as: UTF8.self)
        try await db.execute(
            """
            INSERT INTO audit_log (seq, at, actor, action, subject, source, details, prev_hash, hash)
            VALUES (\(entry.seq), \(Double(entry.atMilliseconds) / 1000), \(entry.actor), \(entry.action.code), \(entry.subject),
                \(entry.source), \(details), \(entry.previousHash), \(entry.hash))
            """)
        return entry
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await read { db in
            // NULL parameters switch a condition off, so one statement serves every filter.
            try await db.rows(
                """
                SELECT * FROM audit_log
                WHERE (\(query.before)::bigint IS NULL OR seq < \(query.before))
                  AND (\(query.since?.epoch)::double precision IS NULL OR at >= \(query.since?.epoch))
                  AND (\(query.actor)::text IS NULL OR actor = \(query.actor))
                  AND (\(query.action)::text IS NULL OR action = \(query.action))
                ORDER BY seq DESC LIMIT \(query.limit)
                """
            ).map(Self.auditEntry)
        }
    }

    public func auditChain(after seq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            try await db.rows("SELECT * FROM audit_log WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)").map(Self.auditEntry)
        }
    }

    public func pruneAudit(before: Date, _ seal: @escaping @Sendable (AuditHead, AuditPruning) -> AuditEntry) async throws -> Int {
        try await write { db in
            try await db.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.auditLock))")
            // Only ever a prefix of the chain: everything before the first entry that is not old.
            let bound = try await db.value("SELECT MIN(seq) FROM audit_log WHERE at >= \(before.epoch)", as: Int64.self) ?? Int64.max
            guard let last = try await db.row("SELECT seq, hash FROM audit_log WHERE seq < \(bound) ORDER BY seq DESC LIMIT 1"),
                let head = try await db.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            else { return 0 }
            let removed = try await db.count("DELETE FROM audit_log WHERE seq < \(bound) RETURNING 1")
            let pruning = AuditPruning(removed: removed, through: AuditHead(seq: try last["seq"], hash: try last["hash"]))
            let headNow = AuditHead(seq: try head["seq"], hash: try head["hash"])
            _ = try await Self.appendAudit(db) { _ in seal(headNow, pruning) }
            return removed
        }
    }

    static func auditEntry(_ row: PGRow) throws -> AuditEntry {
        let raw: String = try row["details"]
        let details = (try? JSONCoding.decode([String: String].self, from: Array(raw.utf8))) ?? [:]
        return AuditEntry(
            seq: try row["seq"], at: Date(timeIntervalSince1970: try row["at"]), actor: try row["actor"],
            action: AuditAction(try row["action"]), subject: try row["subject"], source: try row["source"], details: details,
            previousHash: try row["prev_hash"], hash: try row["hash"])
    }
}
