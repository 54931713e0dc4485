import Foundation
import GRDB
import SwitchboardCore

/// The audit trail. SQLite has one writer, so appends are serialised by the write queue itself.
extension SQLiteStore {
    public func appendAudit(_ seal: @escaping @Sendable (AuditHead?) -> AuditEntry) async throws -> AuditEntry {
        try await pool.write { db in try Self.appendAudit(db, seal) }
    }

    /// Appends inside the caller's write transaction (an erasure records itself with its changes).
    static func appendAudit(_ db: Database, _ seal: (AuditHead?) -> AuditEntry) throws -> AuditEntry {
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .map { AuditHead(seq: $0["seq"], hash: $0["hash"]) }
        let entry = seal(head)
        try db.execute(
            sql: """
                INSERT INTO audit_log (seq, at, actor, action, subject, source, details, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                entry.seq, Double(entry.atMilliseconds) / 1000, entry.actor, entry.action.code, entry.subject, entry.source,
                String(decoding: JSONCoding.encode(entry.details), as: UTF8.self), entry.previousHash, entry.hash,
            ])
        return entry
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let before = query.before {
                conditions.append("seq < ?")
                arguments += [before]
            }
            if let since = query.since {
                conditions.append("at >= ?")
                arguments += [since.epoch]
            }
            if let actor = query.actor {
                conditions.append("actor = ?")
                arguments += [actor]
            }
            if let action = query.action {
                conditions.append("action = ?")
                arguments += [action]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [query.limit]
            return try Row.fetchAll(db, sql: "SELECT * FROM audit_log \(filter) ORDER BY seq DESC LIMIT ?", arguments: arguments)
                .map(Self.auditEntry)
        }
    }

    public func auditChain(after seq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
                .map(Self.auditEntry)
        }
    }

    public func pruneAudit(before: Date, _ seal: @escaping @Sendable (AuditHead, AuditPruning) -> AuditEntry) async throws -> Int {
        try await pool.write { db in
            // Only ever a prefix of the chain: everything before the first entry that is not old.
            let keepFrom = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM audit_log WHERE at >= ?", arguments: [before.epoch])
            let bound = keepFrom ?? Int64.max
            guard
                let last = try Row.fetchOne(
                    db, sql: "SELECT seq, hash FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT 1", arguments: [bound]),
                let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            else { return 0 }
            let removed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_log WHERE seq < ?", arguments: [bound]) ?? 0
            try db.execute(sql: "DELETE FROM audit_log WHERE seq < ?", arguments: [bound])
            let pruning = AuditPruning(removed: removed, through: AuditHead(seq: last["seq"], hash: last["hash"]))
            _ = try Self.appendAudit(db) { _ in seal(AuditHead(seq: head["seq"], hash: head["hash"]), pruning) }
            return removed
        }
    }

    static func auditEntry(_ row: Row) -> AuditEntry {
        let details = (row["details"] as String?).flatMap { try? JSONCoding.decode([String: String].self, from: Array($0.utf8)) } ?? [:]
        return AuditEntry(
            seq: row["seq"], at: Date(timeIntervalSince1970: (row["at"] as Double)), actor: row["actor"],
            action: AuditAction(row["action"]), subject: row["subject"], source: row["source"], details: details,
            previousHash: row["prev_hash"], hash: row["hash"])
    }
}
