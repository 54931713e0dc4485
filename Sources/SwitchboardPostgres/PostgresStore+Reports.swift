import Foundation
import PostgresNIO
import SwitchboardCore

/// Figures for supervisors, tags and suggestions.
extension PostgresStore {
    public func reportSummary(since: Date, now: Date) async throws -> ReportSummary {
        try await read { db in
            var byStatus: [String: Int] = [:]
            for row in try await db.rows("SELECT status, COUNT(*) AS n FROM conversations GROUP BY status") {
                byStatus[try row["status"]] = try row["n"]
            }
            func count(_ condition: String, _ value: Double? = nil) async throws -> Int {
                var binds = PostgresBindings()
                if let value { binds.append(value) }
                return try await db.value(
                    PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM conversations WHERE " + condition, binds: binds), as: Int.self) ?? 0
            }
            let waits = try await db.values(
                """
                SELECT answered_at - created_at FROM conversations WHERE created_at >= \(since.epoch) AND answered_at IS NOT NULL ORDER BY 1
                """, as: Double.self)
            func percentile(_ p: Double) -> Double? {
                waits.isEmpty ? nil : waits[min(waits.count - 1, Int((Double(waits.count) * p).rounded(.down)))]
            }
            let agents = try await db.rows(
                """
                SELECT a.id, a.status,
                    (SELECT COUNT(*) FROM conversations c WHERE c.assignee = a.id AND c.status IN ('open', 'pending')) AS assigned,
                    (SELECT COUNT(*) FROM conversations c WHERE c.owner = a.id AND c.status IN ('open', 'pending')) AS owned
                FROM agents a WHERE a.configured = 1 ORDER BY a.id
                """
            ).map {
                ReportSummary.AgentFigures(agent: try $0["id"], status: try $0["status"], assigned: try $0["assigned"], owned: try $0["owned"])
            }
            return ReportSummary(
                since: since, now: now, conversations: byStatus,
                started: try await count("created_at >= $1", since.epoch),
                resolved: try await count("status = 'resolved' AND resolved_at >= $1", since.epoch),
                escalated: try await count("status = 'open' AND escalated = 1"),
                breached: try await count("status = 'open' AND (sla_breached = 1 OR resolution_breached = 1)"),
                awaitingAnswer: try await count("status = 'open' AND awaiting_since IS NOT NULL"),
                unassigned: try await count("status = 'open' AND assignee IS NULL"),
                firstResponseMedianSeconds: percentile(0.5), firstResponseP90Seconds: percentile(0.9), agents: agents)
        }
    }

    public func exportConversations(since: Date, limit: Int) async throws -> [ConversationExportRow] {
        try await read { db in
            try await db.rows(
                """
                SELECT c.*, cu.name AS customer_name,
                    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound') AS inbound,
                    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'outbound') AS outbound
                FROM conversations c JOIN customers cu ON cu.id = c.customer_id
                WHERE c.last_message_at >= \(since.epoch) ORDER BY c.id LIMIT \(limit)
                """
            ).map { row in
                ConversationExportRow(
                    id: try row["id"], status: try row["status"], customerID: try row["customer_id"], customerName: try row["customer_name"],
                    owner: try row["owner"], assignee: try row["assignee"], team: try row["team"], escalated: try row.flag("escalated"),
                    createdAt: try row.date("created_at"), answeredAt: try row.date("answered_at"), resolvedAt: try row.date("resolved_at"),
                    lastMessageAt: try row.date("last_message_at"), firstResponseDue: try row.date("first_response_due"),
                    resolutionDue: try row.date("resolution_due"),
                    breached: try row.flag("sla_breached") || row.flag("resolution_breached"),
                    inbound: try row["inbound"], outbound: try row["outbound"])
            }
        }
    }

    public func addTags(conversation: Int64, tags: [String], by agent: String, at: Date) async throws -> [String] {
        try await write { db in
            for tag in tags {
                try await db.execute(
                    """
                    INSERT INTO conversation_tags (conversation_id, tag, added_by, added_at) VALUES (\(conversation), \(tag), \(agent), \(at.epoch))
                    ON CONFLICT DO NOTHING
                    """)
            }
            return try await db.values("SELECT tag FROM conversation_tags WHERE conversation_id = \(conversation) ORDER BY tag", as: String.self)
        }
    }

    public func addSuggestion(author: String, body: String, conversation: Int64?, at: Date) async throws -> Suggestion {
        try await write { db in
            let id = try await db.value(
                """
                INSERT INTO suggestions (author, body, conversation_id, created_at) VALUES (\(author), \(body), \(conversation), \(at.epoch))
                RETURNING id
                """, as: Int64.self)!
            return Suggestion(id: id, author: author, body: body, conversation: conversation, createdAt: at)
        }
    }

    public func suggestions(limit: Int) async throws -> [Suggestion] {
        try await read { db in
            try await db.rows("SELECT * FROM suggestions ORDER BY id DESC LIMIT \(limit)").map {
                Suggestion(
                    id: try $0["id"], author: try $0["author"], body: try $0["body"], conversation: try $0["conversation_id"],
                    createdAt: try $0.date("created_at") ?? Date(epoch: 0))
            }
        }
    }
}
