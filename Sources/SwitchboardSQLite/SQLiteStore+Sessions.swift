import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func setPassword(agent: String, hash: [UInt8], salt: [UInt8], iterations: Int, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO agent_passwords (agent_id, hash, salt, iterations, failures, updated_at) VALUES (?, ?, ?, ?, 0, ?)
                    ON CONFLICT(agent_id) DO UPDATE SET hash = excluded.hash, salt = excluded.salt,
                        iterations = excluded.iterations, failures = 0, last_failure_at = NULL, updated_at = excluded.updated_at
                    """, arguments: [agent, Data(hash), Data(salt), iterations, at.epoch])
            // A new password ends every session signed in with the old one.
            try db.execute(sql: "DELETE FROM console_sessions WHERE agent_id = ?", arguments: [agent])
        }
    }

    public func password(agent: String) async throws -> StoredPassword? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM agent_passwords WHERE agent_id = ?", arguments: [agent]).map { row in
                StoredPassword(
                    agentID: row["agent_id"], hash: Array(row["hash"] as Data), salt: Array(row["salt"] as Data),
                    iterations: row["iterations"])
            }
        }
    }

    public func createSession(tokenHash: [UInt8], agent: String, csrfToken: String, tokenFingerprint: [UInt8]?, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO console_sessions (token_hash, agent_id, csrf_token, created_at, last_seen_at, token_fingerprint)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [Data(tokenHash), agent, csrfToken, at.epoch, at.epoch, tokenFingerprint.map { Data($0) }])
        }
    }

    public func session(tokenHash: [UInt8]) async throws -> ConsoleSession? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_sessions WHERE token_hash = ?", arguments: [Data(tokenHash)]).map { row in
                ConsoleSession(
                    agentID: row["agent_id"], csrfToken: row["csrf_token"],
                    createdAt: row.date("created_at") ?? Date(epoch: 0), lastSeenAt: row.date("last_seen_at") ?? Date(epoch: 0),
                    tokenFingerprint: (row["token_fingerprint"] as Data?).map { Array($0) })
            }
        }
    }

    public func touchSession(tokenHash: [UInt8], at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?", arguments: [at.epoch, Data(tokenHash)])
        }
    }

    public func deleteSession(tokenHash: [UInt8]) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_sessions WHERE token_hash = ?", arguments: [Data(tokenHash)])
        }
    }

    public func deleteSessions(agent: String) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_sessions WHERE agent_id = ?", arguments: [agent])
            return db.changesCount
        }
    }

    public func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM console_sessions WHERE last_seen_at < ? OR created_at < ?",
                arguments: [idleBefore.epoch, createdBefore.epoch])
        }
    }
}

extension SQLiteStore {
    public func inboxPreviews(conversations: [Int64]) async throws -> [Int64: InboxPreview] {
        try await pool.read { db in
            var previews: [Int64: InboxPreview] = [:]
            for id in conversations {
                // Statements kept per connection: an inbox asks this of a hundred conversations.
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT direction, adapter, channel, substr(body, 1, 160) AS body, created_at FROM messages
                                WHERE conversation_id = ? AND direction IN ('inbound', 'outbound')
                                ORDER BY created_at DESC, id DESC LIMIT 1
                                """), arguments: [id])
                else { continue }
                // Acknowledgements (author 'switchboard') do not answer the customer, so the wait
                // runs from the first customer message after the latest agent reply.
                let waiting = try Double.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT MIN(created_at) FROM messages WHERE conversation_id = ? AND direction = 'inbound' AND created_at > COALESCE(
                                (SELECT MAX(created_at) FROM messages WHERE conversation_id = ? AND direction = 'outbound'
                                 AND COALESCE(author, '') <> 'switchboard'), 0)
                            """), arguments: [id, id])
                previews[id] = InboxPreview(
                    direction: MessageDirection(rawValue: row["direction"]) ?? .inbound, adapter: row["adapter"], channel: row["channel"],
                    body: row["body"], createdAt: row.date("created_at") ?? Date(epoch: 0), waitingSince: waiting.map(Date.init(epoch:)))
            }
            return previews
        }
    }
}
