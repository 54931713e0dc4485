import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Attachment bytes: written with the message (same transaction, so durable before the 2xx),
/// keyed by their SHA-256 so identical files are stored once, and read back for the agent API.
extension SQLiteStore {
    /// Stores the content the attachments carry and returns them as the message records them:
    /// `sha256`, `size` and `stored` set, the bytes dropped. Called inside the ingest transaction.
    /// Each attachment counts as one reference to its content (erasure and retention give them up).
    static func storeAttachmentContents(_ attachments: [Attachment], _ db: Database) throws -> [Attachment] {
        guard attachments.contains(where: { $0.content != nil }) else { return attachments }
        let now = Date().epoch
        return try attachments.map { attachment in
            guard let kept = attachment.keptAsStored() else { return attachment }
            try db.cachedStatement(
                sql: """
                    INSERT INTO attachment_contents (sha256, size, content, created_at, refs) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT (sha256) DO UPDATE SET refs = attachment_contents.refs + 1
                    """
            ).execute(arguments: [kept.sha256, kept.content.count, kept.content, now])
            return kept.attachment
        }
    }

    public func attachment(message: Int64, index: Int) async throws -> StoredAttachment? {
        try await pool.read { db in
            guard index >= 0,
                let json = try String.fetchOne(db, sql: "SELECT attachments FROM messages WHERE id = ?", arguments: [message]),
                let list = try? JSONCoding.decode([Attachment].self, from: Array(json.utf8)), index < list.count
            else { return nil }
            let attachment = list[index]
            guard attachment.stored == true, let sha256 = attachment.sha256 else {
                return StoredAttachment(attachment: attachment, content: nil)
            }
            let content = try Data.fetchOne(db, sql: "SELECT content FROM attachment_contents WHERE sha256 = ?", arguments: [sha256])
            return StoredAttachment(attachment: attachment, content: content)
        }
    }
}
