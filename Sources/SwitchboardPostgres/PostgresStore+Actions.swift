import Foundation
import PostgresNIO
import SwitchboardCore

extension PostgresStore {
    // MARK: - Promises

    public func promisesDue(now: Date, staleAfter: Duration?, limit: Int) async throws -> [PromiseDue] {
        try await read { db in
            let columns = "id, owner, assignee, team, status, first_response_due, resolution_due, awaiting_since"
            func due(_ kind: PromiseDue.Kind, _ condition: String, _ values: [Double]) async throws -> [PromiseDue] {
                var binds = PostgresBindings()
                for value in values { binds.append(value) }
                binds.append(limit)
                let sql =
                    "SELECT \(columns) FROM conversations WHERE status = 'open' AND \(condition) ORDER BY \(kind.dueColumn), id LIMIT $\(binds.count)"
                return try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map {
                    PromiseDue(
                        kind: kind, conversation: try Self.access(row: $0),
                        due: try $0.date(kind == .resolution ? "resolution_due" : "first_response_due"),
                        awaitingSince: try $0.date("awaiting_since"))
                }
            }
            var found = try await due(.breach, "first_response_due <= $1 AND sla_breached = 0", [now.epoch])
            found += try await due(.resolution, "resolution_due <= $1 AND resolution_breached = 0", [now.epoch])
            found += try await due(.warning, "sla_warn_at <= $1 AND sla_warned = 0 AND sla_breached = 0", [now.epoch])
            if let staleAfter {
                let cutoff = now.epoch - staleAfter.seconds
                found += try await due(
                    .stale, "assignee IS NOT NULL AND awaiting_since <= $1 AND (reassigned_at IS NULL OR reassigned_at <= $2)",
                    [cutoff, cutoff])
            }
            return found
        }
    }

    // MARK: - Assignment

    public func orphanedConversations() async throws -> [ConversationAccess] {
        try await read { db in
            try await db.rows(
                """
                SELECT c.id, c.owner, c.assignee, c.team, c.status FROM conversations c
                WHERE c.status = 'open' AND (
                    (c.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.owner AND a.configured = 1)) OR
                    (c.assignee IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.assignee AND a.configured = 1)))
                ORDER BY c.created_at
                """
            ).map { try Self.access(row: $0) }
        }
    }
}
