import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// How far each mailbox has been read (one row per adapter and mailbox).
extension SQLiteStore {
    public func mailboxPosition(adapter: String, mailbox: String) async throws -> MailboxPosition? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT uid_validity, last_uid FROM mailbox_positions WHERE adapter_id = ? AND mailbox = ?",
                arguments: [adapter, mailbox]
            ).map { row in
                MailboxPosition(
                    uidValidity: UInt32(truncatingIfNeeded: row["uid_validity"] as Int64),
                    lastUID: UInt32(truncatingIfNeeded: row["last_uid"] as Int64))
            }
        }
    }

    public func saveMailboxPosition(_ position: MailboxPosition, adapter: String, mailbox: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO mailbox_positions (adapter_id, mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(adapter_id, mailbox) DO UPDATE SET uid_validity = excluded.uid_validity,
                        last_uid = excluded.last_uid, updated_at = excluded.updated_at
                    """, arguments: [adapter, mailbox, Int64(position.uidValidity), Int64(position.lastUID), at.epoch])
        }
    }
}
