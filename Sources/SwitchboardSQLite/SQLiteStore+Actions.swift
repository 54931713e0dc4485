import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func appendReply(conversation: Int64, author: String, body: String, route: ReplyRoute, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            let record = try Self.insertMessage(
                db, conversationID: conversation, direction: .outbound, adapter: route.adapter, address: route.address,
                threadRef: route.threadRef, inReplyTo: route.inReplyTo, body: body, author: author, createdAt: at.epoch,
                delivery: DeliveryInfo(state: .queued, attempts: 0))
            try db.execute(
                sql: "INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, quoted) VALUES (?, ?, ?, ?, ?)",
                arguments: [record.id, route.adapter, route.inReplyToExternalID, at.epoch, route.quoted])
            try db.execute(
                sql: """
                    UPDATE conversations SET first_response_due = NULL, awaiting_since = NULL, sla_warn_at = NULL, sla_warned = 0,
                        sla_breached = 0, reassigned_at = NULL, callback_due = NULL, answered_at = COALESCE(answered_at, ?1),
                        last_message_at = ?1 WHERE id = ?2
                    """,
                arguments: [at.epoch, conversation])
            return record
        }
    }

    public func appendInternal(conversation: Int64, direction: MessageDirection, author: String?, body: String, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            try Self.insertMessage(db, conversationID: conversation, direction: direction, body: body, author: author, createdAt: at.epoch)
        }
    }

    public func reassign(conversation: Int64, assignee: String, owner: String?, escalated: Bool, event: String, author: String?, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT assignee, status FROM conversations WHERE id = ?", arguments: [conversation]) else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            let previous: String? = row["assignee"]
            let open = (row["status"] as String) == ConversationStatus.open.rawValue
            try db.execute(
                sql: "UPDATE conversations SET assignee = ?, owner = COALESCE(?, owner), escalated = MAX(escalated, ?) WHERE id = ?",
                arguments: [assignee, owner, escalated, conversation])
            if open && previous != assignee {
                var loads = try Self.agentLoads(db)
                try Self.noteUnassigned(db, previous, loads: &loads)
                try Self.noteAssigned(db, assignee, loads: &loads)
            }
            return try Self.insertMessage(db, conversationID: conversation, direction: .event, body: event, author: author, createdAt: at.epoch)
        }
    }

    public func closeEscalation(conversation: Int64, by agent: String, note: String?, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            guard let escalated = try Bool.fetchOne(db, sql: "SELECT escalated FROM conversations WHERE id = ?", arguments: [conversation]) else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            guard escalated else {
                throw ServiceError(status: 409, code: "not_escalated", message: "conversation \(conversation) is not escalated")
            }
            try db.execute(sql: "UPDATE conversations SET escalated = 0 WHERE id = ?", arguments: [conversation])
            return try Self.insertMessage(
                db, conversationID: conversation, direction: .event,
                body: "\(agent) closed the escalation" + (note.map { ": \($0)" } ?? ""), author: agent, createdAt: at.epoch)
        }
    }

    public func resolve(conversation: Int64, author: String, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT assignee, status FROM conversations WHERE id = ?", arguments: [conversation]) else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            guard (row["status"] as String) != ConversationStatus.merged.rawValue else {
                throw ServiceError(status: 409, code: "merged", message: "conversation \(conversation) was merged into another")
            }
            guard (row["status"] as String) != ConversationStatus.resolved.rawValue else {
                throw ServiceError(status: 409, code: "already_resolved", message: "conversation \(conversation) is already resolved")
            }
            try db.execute(
                sql: """
                    UPDATE conversations SET status = 'resolved', resolved_at = ?, first_response_due = NULL, awaiting_since = NULL,
                        sla_warn_at = NULL, sla_warned = 0, sla_breached = 0, reassigned_at = NULL, escalated = 0, callback_due = NULL,
                        resolution_due = NULL, resolution_left = NULL, answered_at = NULL
                    WHERE id = ?
                    """,
                arguments: [at.epoch, conversation])
            var loads = try Self.agentLoads(db)
            try Self.noteUnassigned(db, row["assignee"], loads: &loads)
            return try Self.insertMessage(
                db, conversationID: conversation, direction: .event, body: "Resolved by \(author)", author: author, createdAt: at.epoch)
        }
    }
}
