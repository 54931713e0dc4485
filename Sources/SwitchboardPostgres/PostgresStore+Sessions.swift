import Foundation
import PostgresNIO
import SwitchboardCore

/// Console passwords and sessions (only hashes are stored), shared by every gateway.
extension PostgresStore {
    public func setPassword(agent: String, hash: [UInt8], salt: [UInt8], iterations: Int, at: Date) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO agent_passwords (agent_id, hash, salt, iterations, failures, updated_at)
                VALUES (\(agent), \(Data(hash)), \(Data(salt)), \(iterations), 0, \(at.epoch))
                ON CONFLICT (agent_id) DO UPDATE SET hash = excluded.hash, salt = excluded.salt,
                    iterations = excluded.iterations, failures = 0, last_failure_at = NULL, updated_at = excluded.updated_at
                """)
            // A new password ends every session signed in with the old one.
            try await db.execute("DELETE FROM console_sessions WHERE agent_id = \(agent)")
        }
    }

    public func password(agent: String) async throws -> StoredPassword? {
        try await read { db in
            try await db.row("SELECT * FROM agent_passwords WHERE agent_id = \(agent)").map { row in
                StoredPassword(
                    agentID: try row["agent_id"], hash: Array(try row["hash"] as Data), salt: Array(try row["salt"] as Data),
                    iterations: try row["iterations"])
            }
        }
    }

    public func createSession(tokenHash: [UInt8], agent: String, csrfToken: String, tokenFingerprint: [UInt8]?, at: Date) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO console_sessions (token_hash, agent_id, csrf_token, created_at, last_seen_at, token_fingerprint)
                VALUES (\(Data(tokenHash)), \(agent), \(csrfToken), \(at.epoch), \(at.epoch), \(tokenFingerprint.map { Data($0) }))
                """)
        }
    }

    public func session(tokenHash: [UInt8]) async throws -> ConsoleSession? {
        try await read { db in
            try await db.row("SELECT * FROM console_sessions WHERE token_hash = \(Data(tokenHash))").map { row in
                ConsoleSession(
                    agentID: try row["agent_id"], csrfToken: try row["csrf_token"],
                    createdAt: try row.date("created_at") ?? Date(epoch: 0), lastSeenAt: try row.date("last_seen_at") ?? Date(epoch: 0),
                    tokenFingerprint: (try row["token_fingerprint"] as Data?).map { Array($0) })
            }
        }
    }

    public func touchSession(tokenHash: [UInt8], at: Date) async throws {
        try await write { db in
            try await db.execute("UPDATE console_sessions SET last_seen_at = \(at.epoch) WHERE token_hash = \(Data(tokenHash))")
        }
    }

    public func deleteSession(tokenHash: [UInt8]) async throws {
        try await write { db in
            try await db.execute("DELETE FROM console_sessions WHERE token_hash = \(Data(tokenHash))")
        }
    }

    public func deleteSessions(agent: String) async throws -> Int {
        try await write { db in
            try await db.count("DELETE FROM console_sessions WHERE agent_id = \(agent) RETURNING 1")
        }
    }

    public func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws {
        try await write { db in
            try await db.execute(
                "DELETE FROM console_sessions WHERE last_seen_at < \(idleBefore.epoch) OR created_at < \(createdBefore.epoch)")
        }
    }
}

extension PostgresStore {
    public func inboxPreviews(conversations: [Int64]) async throws -> [Int64: InboxPreview] {
        guard !conversations.isEmpty else { return [:] }
        return try await read { db in
            // One statement for the page (a round trip each was two hundred for an inbox of a hundred).
            // Acknowledgements (author 'switchboard') do not answer the customer, so the wait runs
            // from the first customer message after the latest agent reply.
            let rows = try await db.rows(
                """
                SELECT ids.id, p.direction, p.adapter, p.channel, p.body, p.created_at, w.waiting
                FROM unnest(\(conversations)::bigint[]) AS ids(id)
                CROSS JOIN LATERAL (
                    SELECT direction, adapter, channel, substr(body, 1, 160) AS body, created_at FROM messages
                    WHERE conversation_id = ids.id AND direction IN ('inbound', 'outbound')
                    ORDER BY created_at DESC, id DESC LIMIT 1) p
                CROSS JOIN LATERAL (
                    SELECT MIN(created_at) AS waiting FROM messages
                    WHERE conversation_id = ids.id AND direction = 'inbound' AND created_at > COALESCE(
                        (SELECT MAX(created_at) FROM messages WHERE conversation_id = ids.id AND direction = 'outbound'
                         AND COALESCE(author, '') <> 'switchboard'), 0)) w
                """)
            var previews: [Int64: InboxPreview] = [:]
            for row in rows {
                let waiting: Double? = try row["waiting"]
                previews[try row["id"]] = InboxPreview(
                    direction: MessageDirection(rawValue: try row["direction"]) ?? .inbound, adapter: try row["adapter"],
                    channel: try row["channel"], body: try row["body"], createdAt: try row.date("created_at") ?? Date(epoch: 0),
                    waitingSince: waiting.map(Date.init(epoch:)))
            }
            return previews
        }
    }
}
