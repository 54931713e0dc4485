import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func enrollTOTP(agent: String, secret: String, recoveryCodeHashes: [String], at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO agent_totp (agent_id, secret, last_step, enrolled_at) VALUES (?, ?, NULL, ?)
                    ON CONFLICT (agent_id) DO UPDATE SET secret = excluded.secret, last_step = NULL, enrolled_at = excluded.enrolled_at
                    """, arguments: [agent, secret, at.epoch])
            try db.execute(sql: "DELETE FROM agent_recovery_codes WHERE agent_id = ?", arguments: [agent])
            for hash in recoveryCodeHashes {
                try db.execute(sql: "INSERT INTO agent_recovery_codes (agent_id, code_hash) VALUES (?, ?)", arguments: [agent, hash])
            }
            try db.execute(sql: "DELETE FROM console_sessions WHERE agent_id = ?", arguments: [agent])
        }
    }

    public func totp(agent: String) async throws -> StoredTOTP? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM agent_totp WHERE agent_id = ?", arguments: [agent]).map { row in
                StoredTOTP(
                    agentID: row["agent_id"], secret: row["secret"], lastStep: row["last_step"], enrolledAt: row.date("enrolled_at") ?? Date(epoch: 0)
                )
            }
        }
    }

    public func useTOTPStep(agent: String, step: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE agent_totp SET last_step = ? WHERE agent_id = ? AND (last_step IS NULL OR last_step < ?)",
                arguments: [step, agent, step])
            return db.changesCount == 1
        }
    }

    public func useRecoveryCode(agent: String, hash: String, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE agent_recovery_codes SET used_at = ? WHERE agent_id = ? AND code_hash = ? AND used_at IS NULL",
                arguments: [at.epoch, agent, hash])
            return db.changesCount == 1
        }
    }

    public func recoveryCodesLeft(agent: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM agent_recovery_codes WHERE agent_id = ? AND used_at IS NULL", arguments: [agent]) ?? 0
        }
    }

    public func removeTOTP(agent: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM agent_recovery_codes WHERE agent_id = ?", arguments: [agent])
            try db.execute(sql: "DELETE FROM agent_totp WHERE agent_id = ?", arguments: [agent])
            return db.changesCount == 1
        }
    }
}
