import Foundation
import GRDB
import SwitchboardCore

/// Figures for supervisors, computed from the conversations table (its indexes bound the work).
extension SQLiteStore {
    public func reportSummary(since: Date, now: Date) async throws -> ReportSummary {
        try await pool.read { db in
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM conversations GROUP BY status") {
                byStatus[row["status"]] = row["n"]
            }
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversations WHERE " + sql, arguments: arguments) ?? 0
            }
            let waits = try Double.fetchAll(
                db,
                sql: """
                    SELECT answered_at - created_at FROM conversations WHERE created_at >= ? AND answered_at IS NOT NULL ORDER BY 1
                    """, arguments: [since.epoch])
            func percentile(_ p: Double) -> Double? {
                waits.isEmpty ? nil : waits[min(waits.count - 1, Int((Double(waits.count) * p).rounded(.down)))]
            }
            let agents = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.status,
                        (SELECT COUNT(*) FROM conversations c WHERE c.assignee = a.id AND c.status IN ('open', 'pending')) AS assigned,
                        (SELECT COUNT(*) FROM conversations c WHERE c.owner = a.id AND c.status IN ('open', 'pending')) AS owned
                    FROM agents a WHERE a.configured = 1 ORDER BY a.id
                    """
            ).map { ReportSummary.AgentFigures(agent: $0["id"], status: $0["status"], assigned: $0["assigned"], owned: $0["owned"]) }
            return ReportSummary(
                since: since, now: now, conversations: byStatus,
                started: try count("created_at >= ?", [since.epoch]),
                resolved: try count("status = 'resolved' AND resolved_at >= ?", [since.epoch]),
                escalated: try count("status = 'open' AND escalated = 1"),
                breached: try count("status = 'open' AND (sla_breached = 1 OR resolution_breached = 1)"),
                awaitingAnswer: try count("status = 'open' AND awaiting_since IS NOT NULL"),
                unassigned: try count("status = 'open' AND assignee IS NULL"),
                firstResponseMedianSeconds: percentile(0.5), firstResponseP90Seconds: percentile(0.9), agents: agents)
        }
    }

    public func exportConversations(since: Date, limit: Int) async throws -> [ConversationExportRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.*, cu.name AS customer_name,
                        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound') AS inbound,
                        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'outbound') AS outbound
                    FROM conversations c JOIN customers cu ON cu.id = c.customer_id
                    WHERE c.last_message_at >= ? ORDER BY c.id LIMIT ?
                    """, arguments: [since.epoch, limit]
            ).map { row in
                ConversationExportRow(
                    id: row["id"], status: row["status"], customerID: row["customer_id"], customerName: row["customer_name"],
                    owner: row["owner"], assignee: row["assignee"], team: row["team"], escalated: row["escalated"],
                    createdAt: row.date("created_at"), answeredAt: row.date("answered_at"), resolvedAt: row.date("resolved_at"),
                    lastMessageAt: row.date("last_message_at"), firstResponseDue: row.date("first_response_due"),
                    resolutionDue: row.date("resolution_due"),
                    breached: (row["sla_breached"] as Bool? ?? false) || (row["resolution_breached"] as Bool? ?? false),
                    inbound: row["inbound"], outbound: row["outbound"])
            }
        }
    }
}
