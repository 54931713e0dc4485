import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Media-fetch jobs: written by ingestion with the message, taken when due, settled in one
/// transaction with the attachments' contents.
extension SQLiteStore {
    static func enqueueMediaFetch(_ db: Database, message: Int64, adapter: String, dueAt: Double) throws {
        try db.cachedStatement(
            sql: "INSERT INTO media_fetches (message_id, adapter, attempts, due_at) VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING"
        ).execute(arguments: [message, adapter, dueAt])
    }

    public func dueMediaFetches(now: Date, limit: Int) async throws -> [MediaFetchJob] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT f.message_id, f.adapter, f.attempts, f.due_at, f.last_error, m.attachments
                    FROM media_fetches f LEFT JOIN messages m ON m.id = f.message_id
                    WHERE f.due_at <= ? ORDER BY f.due_at, f.message_id LIMIT ?
                    """, arguments: [now.epoch, limit]
            ).map { row in
                MediaFetchJob(
                    message: row["message_id"], adapter: row["adapter"], attempts: row["attempts"],
                    dueAt: Date(epoch: row["due_at"]), lastError: row["last_error"],
                    attachments: (row["attachments"] as String?).flatMap { try? JSONCoding.decode([Attachment].self, from: Array($0.utf8)) }
                        ?? [])
            }
        }
    }

    public func nextMediaFetchDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(due_at) FROM media_fetches").map(Date.init(epoch:))
        }
    }

    public func recordMediaFetch(_ result: MediaFetchResult, at: Date) async throws -> (message: MessageRecord, access: ConversationAccess)? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT m.attachments, c.id AS conversation_id, c.owner, c.assignee, c.team, c.status
                        FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?
                        """, arguments: [result.message])
            else {
                try db.execute(sql: "DELETE FROM media_fetches WHERE message_id = ?", arguments: [result.message])
                return nil
            }
            var attachments =
                (row["attachments"] as String?).flatMap { try? JSONCoding.decode([Attachment].self, from: Array($0.utf8)) } ?? []
            var changed = false
            for (index, settled) in result.settled where index < attachments.count && attachments[index].isFetching {
                attachments[index] = try Self.storeAttachmentContents([settled], db)[0]
                changed = true
            }
            if changed {
                try db.execute(
                    sql: "UPDATE messages SET attachments = ? WHERE id = ?",
                    arguments: [String(decoding: JSONCoding.encode(attachments), as: UTF8.self), result.message])
            }
            if let retryAt = result.retryAt, attachments.contains(where: \.isFetching) {
                try db.execute(
                    sql: "UPDATE media_fetches SET attempts = ?, due_at = ?, last_error = ? WHERE message_id = ?",
                    arguments: [result.attempts, retryAt.epoch, result.error, result.message])
            } else {
                try db.execute(sql: "DELETE FROM media_fetches WHERE message_id = ?", arguments: [result.message])
            }
            guard let record = try Self.messageRecord(db, id: result.message) else { return nil }
            return (record, Self.access(row: row, id: "conversation_id"))
        }
    }
}
