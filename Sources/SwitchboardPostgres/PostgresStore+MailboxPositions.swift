import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// How far each mailbox has been read (one row per adapter and mailbox), shared by every gateway:
/// whichever one leads next goes on from there.
extension PostgresStore {
    public func mailboxPosition(adapter: String, mailbox: String) async throws -> MailboxPosition? {
        try await read { db in
            try await db.row(
                """
                SELECT uid_validity, last_uid FROM mailbox_positions WHERE adapter_id = \(adapter) AND mailbox = \(mailbox)
                """
            ).map { row in
                MailboxPosition(
                    uidValidity: UInt32(truncatingIfNeeded: try row["uid_validity"] as Int64),
                    lastUID: UInt32(truncatingIfNeeded: try row["last_uid"] as Int64))
            }
        }
    }

    public func saveMailboxPosition(_ position: MailboxPosition, adapter: String, mailbox: String, at: Date) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO mailbox_positions (adapter_id, mailbox, uid_validity, last_uid, updated_at)
                VALUES (\(adapter), \(mailbox), \(Int64(position.uidValidity)), \(Int64(position.lastUID)), \(at.epoch))
                ON CONFLICT (adapter_id, mailbox) DO UPDATE SET uid_validity = excluded.uid_validity,
                    last_uid = excluded.last_uid, updated_at = excluded.updated_at
                """)
        }
    }
}
