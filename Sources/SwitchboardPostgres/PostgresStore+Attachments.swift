import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Attachment bytes: written with the message (same transaction, so durable before the 2xx),
/// keyed by their SHA-256 so identical files are stored once, and read back for the agent API.
extension PostgresStore {
    /// Stores the content the attachments carry and returns them as the message records them:
    /// `sha256`, `size` and `stored` set, the bytes dropped. Called inside the ingest transaction;
    /// two gateways storing the same file at once both succeed (`ON CONFLICT`), each counting one
    /// reference (erasure and retention give them up; the content goes with the last).
    static func storeAttachmentContents(_ attachments: [Attachment], _ db: PGSession) async throws -> [Attachment] {
        guard attachments.contains(where: { $0.content != nil }) else { return attachments }
        let now = Date().epoch
        var recorded: [Attachment] = []
        recorded.reserveCapacity(attachments.count)
        for attachment in attachments {
            guard let kept = attachment.keptAsStored() else {
                recorded.append(attachment)
                continue
            }
            try await db.execute(
                """
                INSERT INTO attachment_contents (sha256, size, content, created_at, refs)
                VALUES (\(kept.sha256), \(kept.content.count), \(kept.content), \(now), 1)
                ON CONFLICT (sha256) DO UPDATE SET refs = attachment_contents.refs + 1
                """)
            recorded.append(kept.attachment)
        }
        return recorded
    }

    public func attachment(message: Int64, index: Int) async throws -> StoredAttachment? {
        guard index >= 0 else { return nil }
        return try await read { db in
            guard let json = try await db.value("SELECT attachments FROM messages WHERE id = \(message)", as: String.self),
                let list = try? JSONCoding.decode([Attachment].self, from: Array(json.utf8)), index < list.count
            else { return nil }
            let attachment = list[index]
            guard attachment.stored == true, let sha256 = attachment.sha256 else {
                return StoredAttachment(attachment: attachment, content: nil)
            }
            let content = try await db.value("SELECT content FROM attachment_contents WHERE sha256 = \(sha256)", as: Data.self)
            return StoredAttachment(attachment: attachment, content: content)
        }
    }
}
