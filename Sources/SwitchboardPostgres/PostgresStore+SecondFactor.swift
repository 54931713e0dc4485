import Foundation
import PostgresNIO
import SwitchboardCore

/// Second factors, shared by every gateway: a step or a recovery code is used by one atomic
/// `UPDATE … WHERE`, so two gateways cannot both accept the same code.
extension PostgresStore {
    public func enrollTOTP(agent: String, secret: String, recoveryCodeHashes: [String], at: Date) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO agent_totp (agent_id, secret, last_step, enrolled_at) VALUES (\(agent), \(secret), NULL, \(at.epoch))
                ON CONFLICT (agent_id) DO UPDATE SET secret = excluded.secret, last_step = NULL, enrolled_at = excluded.enrolled_at
                """)
            try await db.execute("DELETE FROM agent_recovery_codes WHERE agent_id = \(agent)")
            for hash in recoveryCodeHashes {
                try await db.execute("INSERT INTO agent_recovery_codes (agent_id, code_hash) VALUES (\(agent), \(hash))")
            }
            try await db.execute("DELETE FROM console_sessions WHERE agent_id = \(agent)")
        }
    }

    public func totp(agent: String) async throws -> StoredTOTP? {
        try await read { db in
            try await db.row("SELECT * FROM agent_totp WHERE agent_id = \(agent)").map { row in
                StoredTOTP(
                    agentID: try row["agent_id"], secret: try row["secret"], lastStep: try row["last_step"],
                    enrolledAt: try row.date("enrolled_at") ?? Date(epoch: 0))
            }
        }
    }

    public func useTOTPStep(agent: String, step: Int64) async throws -> Bool {
        try await write { db in
            try await db.count(
                """
                UPDATE agent_totp SET last_step = \(step) WHERE agent_id = \(agent) AND (last_step IS NULL OR last_step < \(step)) RETURNING 1
                """) == 1
        }
    }

    public func useRecoveryCode(agent: String, hash: String, at: Date) async throws -> Bool {
        try await write { db in
            try await db.count(
                """
                UPDATE agent_recovery_codes SET used_at = \(at.epoch)
                WHERE agent_id = \(agent) AND code_hash = \(hash) AND used_at IS NULL RETURNING 1
                """) == 1
        }
    }

    public func recoveryCodesLeft(agent: String) async throws -> Int {
        try await read { db in
            try await db.value("SELECT COUNT(*) FROM agent_recovery_codes WHERE agent_id = \(agent) AND used_at IS NULL", as: Int.self) ?? 0
        }
    }

    public func removeTOTP(agent: String) async throws -> Bool {
        try await write { db in
            try await db.execute("DELETE FROM agent_recovery_codes WHERE agent_id = \(agent)")
            return try await db.count("DELETE FROM agent_totp WHERE agent_id = \(agent) RETURNING 1") == 1
        }
    }
}
