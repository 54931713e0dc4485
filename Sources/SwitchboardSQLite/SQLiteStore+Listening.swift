import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func addTags(conversation: Int64, tags: [String], by agent: String, at: Date) async throws -> [String] {
        try await pool.write { db in
            for tag in tags {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO conversation_tags (conversation_id, tag, added_by, added_at) VALUES (?, ?, ?, ?)
                        """, arguments: [conversation, tag, agent, at.epoch])
            }
            return try String.fetchAll(db, sql: "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag", arguments: [conversation])
        }
    }

    public func addSuggestion(author: String, body: String, conversation: Int64?, at: Date) async throws -> Suggestion {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO suggestions (author, body, conversation_id, created_at) VALUES (?, ?, ?, ?)",
                arguments: [author, body, conversation, at.epoch])
            return Suggestion(id: db.lastInsertedRowID, author: author, body: body, conversation: conversation, createdAt: at)
        }
    }

    public func suggestions(limit: Int) async throws -> [Suggestion] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM suggestions ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                Suggestion(
                    id: $0["id"], author: $0["author"], body: $0["body"], conversation: $0["conversation_id"],
                    createdAt: $0.date("created_at") ?? Date(epoch: 0))
            }
        }
    }
}
