import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func promisesDue(now: Date, staleAfter: Duration?, limit: Int) async throws -> [PromiseDue] {
        try await pool.read { db in
            let columns = "id, owner, assignee, team, status, first_response_due, resolution_due, awaiting_since"
            func due(_ kind: PromiseDue.Kind, _ sql: String, _ arguments: StatementArguments) throws -> [PromiseDue] {
                try Row.fetchAll(db, sql: "SELECT \(columns) FROM conversations WHERE status = 'open' AND \(sql) LIMIT \(limit)", arguments: arguments)
                    .map { PromiseDue(
                        kind: kind, conversation: Self.access(row: $0),
                        due: $0.date(kind == .resolution ? "resolution_due" : "first_response_due"), awaitingSince: $0.date("awaiting_since")) }
            }
            var found = try due(.breach, "first_response_due <= ? AND sla_breached = 0", [now.epoch])
            found += try due(.resolution, "resolution_due <= ? AND resolution_breached = 0", [now.epoch])
            found += try due(.warning, "sla_warn_at <= ? AND sla_warned = 0 AND sla_breached = 0", [now.epoch])
            if let staleAfter {
                let cutoff = now.epoch - staleAfter.seconds
                found += try due(.stale, "assignee IS NOT NULL AND awaiting_since <= ? AND (reassigned_at IS NULL OR reassigned_at <= ?)", [cutoff, cutoff])
            }
            return found
        }
    }

    public func markPromise(conversation: Int64, _ kind: PromiseDue.Kind, event: String?, at: Date) async throws -> MessageRecord? {
        try await pool.write { db in
            switch kind {
            case .warning:
                try db.execute(sql: "UPDATE conversations SET sla_warned = 1 WHERE id = ?", arguments: [conversation])
            case .breach:
                try db.execute(sql: "UPDATE conversations SET sla_breached = 1, sla_warned = 1, escalated = 1 WHERE id = ?", arguments: [conversation])
            case .stale:
                try db.execute(sql: "UPDATE conversations SET reassigned_at = ? WHERE id = ?", arguments: [at.epoch, conversation])
            case .resolution:
                try db.execute(sql: "UPDATE conversations SET resolution_breached = 1, escalated = 1 WHERE id = ?", arguments: [conversation])
            }
            guard let event else { return nil }
            return try Self.insertMessage(db, conversationID: conversation, direction: .event, body: event, createdAt: at.epoch)
        }
    }

    public func reassignStale(conversation: Int64, from: String?, to: String, reason: String, at: Date) async throws -> AssignmentEvent? {
        try await pool.write { db in
            // Only if nothing changed since the decision (an answer, another reassignment).
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, assignee, team, owner FROM conversations
                WHERE id = ? AND status = 'open' AND awaiting_since IS NOT NULL AND assignee IS ?
                """, arguments: [conversation, from])
            else { return nil }
            var loads = try Self.agentLoads(db)
            let change = try Self.move(db, row: row, owner: row["owner"] ?? to, to: to, reason: reason, at: at, loads: &loads)
            try db.execute(sql: "UPDATE conversations SET reassigned_at = ? WHERE id = ?", arguments: [at.epoch, conversation])
            return change
        }
    }
}
