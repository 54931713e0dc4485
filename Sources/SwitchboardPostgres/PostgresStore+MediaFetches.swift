import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Media-fetch jobs: written by ingestion with the message, taken when due by the leader, settled
/// in one transaction with the attachments' contents (the message row is locked meanwhile).
extension PostgresStore {
    static func enqueueMediaFetch(_ db: PGSession, message: Int64, adapter: String, dueAt: Double) async throws {
        try await db.execute(
            """
            INSERT INTO media_fetches (message_id, adapter, attempts, due_at) VALUES (\(message), \(adapter), 0, \(dueAt))
            ON CONFLICT DO NOTHING
            """)
    }

    public func dueMediaFetches(now: Date, limit: Int) async throws -> [MediaFetchJob] {
        try await read { db in
            try await db.rows(
                """
                SELECT f.message_id, f.adapter, f.attempts, f.due_at, f.last_error, m.attachments
                FROM media_fetches f LEFT JOIN messages m ON m.id = f.message_id
                WHERE f.due_at <= \(now.epoch) ORDER BY f.due_at, f.message_id LIMIT \(limit)
                """
            ).map { row in
                let json: String? = try row["attachments"]
                return MediaFetchJob(
                    message: try row["message_id"], adapter: try row["adapter"], attempts: try row["attempts"],
                    dueAt: try row.date("due_at") ?? Date(epoch: 0), lastError: try row["last_error"],
                    attachments: json.flatMap { try? JSONCoding.decode([Attachment].self, from: Array($0.utf8)) } ?? [])
            }
        }
    }

    public func nextMediaFetchDue() async throws -> Date? {
        try await read { db in
            try await db.value("SELECT MIN(due_at) FROM media_fetches", as: Double.self).map(Date.init(epoch:))
        }
    }

    public func recordMediaFetch(_ result: MediaFetchResult, at: Date) async throws -> (message: MessageRecord, access: ConversationAccess)? {
        try await write { db in
            guard
                let row = try await db.row(
                    """
                    SELECT m.attachments, c.id AS conversation_id, c.owner, c.assignee, c.team, c.status
                    FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = \(result.message)
                    FOR UPDATE OF m
                    """)
            else {
                try await db.execute("DELETE FROM media_fetches WHERE message_id = \(result.message)")
                return nil
            }
            let json: String? = try row["attachments"]
            var attachments = json.flatMap { try? JSONCoding.decode([Attachment].self, from: Array($0.utf8)) } ?? []
            var changed = false
            for (index, settled) in result.settled where index < attachments.count && attachments[index].isFetching {
                attachments[index] = try await Self.storeAttachmentContents([settled], db)[0]
                changed = true
            }
            if changed {
                let encoded = String(decoding: JSONCoding.encode(attachments), as: UTF8.self)
                try await db.execute("UPDATE messages SET attachments = \(encoded) WHERE id = \(result.message)")
            }
            if let retryAt = result.retryAt, attachments.contains(where: \.isFetching) {
                try await db.execute(
                    """
                    UPDATE media_fetches SET attempts = \(result.attempts), due_at = \(retryAt.epoch), last_error = \(result.error)
                    WHERE message_id = \(result.message)
                    """)
            } else {
                try await db.execute("DELETE FROM media_fetches WHERE message_id = \(result.message)")
            }
            guard let record = try await Self.messageRecord(db, id: result.message) else { return nil }
            return (record, try Self.access(row: row, id: "conversation_id"))
        }
    }
}
