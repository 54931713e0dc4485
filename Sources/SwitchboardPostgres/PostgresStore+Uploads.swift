import Foundation
import PostgresNIO
import SwitchboardCore

/// Uploads: a row each, their bytes in `attachment_contents` (one reference per upload).
extension PostgresStore {
    public func saveUpload(_ upload: Upload, content: Data) async throws -> Upload {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO attachment_contents (sha256, size, content, created_at, refs)
                VALUES (\(upload.sha256), \(content.count), \(content), \(upload.createdAt.epoch), 1)
                ON CONFLICT (sha256) DO UPDATE SET refs = attachment_contents.refs + 1
                """)
            let id = try await db.value(
                """
                INSERT INTO uploads (uploader, file_name, mime_type, size, sha256, created_at)
                VALUES (\(upload.uploader), \(upload.fileName), \(upload.mimeType), \(upload.size), \(upload.sha256), \(upload.createdAt.epoch))
                RETURNING id
                """, as: Int64.self)
            var saved = upload
            saved.id = id ?? 0
            return saved
        }
    }

    public func upload(_ id: Int64) async throws -> StoredUpload? {
        try await read { db in
            guard
                let row = try await db.row(
                    """
                    SELECT u.id, u.uploader, u.file_name, u.mime_type, u.size, u.sha256, u.created_at, c.content
                    FROM uploads u JOIN attachment_contents c ON c.sha256 = u.sha256 WHERE u.id = \(id)
                    """)
            else { return nil }
            let upload = Upload(
                id: try row["id"], uploader: try row["uploader"], fileName: try row["file_name"], mimeType: try row["mime_type"],
                size: Int(try row["size"] as Int64), sha256: try row["sha256"], createdAt: Date(epoch: try row["created_at"]))
            return StoredUpload(upload: upload, content: try row["content"])
        }
    }

    public func pruneUploads(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        try await write { db in
            let gone = try await db.rows(
                """
                DELETE FROM uploads WHERE id IN (
                    SELECT id FROM uploads WHERE created_at < \(cutoff.epoch) ORDER BY created_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING sha256
                """)
            var released: [String: Int] = [:]
            for row in gone { released[try row["sha256"] as String, default: 0] += 1 }
            _ = try await Self.release(db, released)
            return gone.count
        }
    }

    public func outboundMediaIDs(message: Int64) async throws -> [Int: String] {
        try await read { db in
            guard let json = try await db.value("SELECT media_ids FROM outbox WHERE message_id = \(message)", as: String.self),
                let ids = try? JSONCoding.decode([String: String].self, from: Array(json.utf8))
            else { return [:] }
            return Dictionary(uniqueKeysWithValues: ids.compactMap { key, value in Int(key).map { ($0, value) } })
        }
    }

    public func recordOutboundMediaID(message: Int64, index: Int, platformID: String) async throws {
        try await write { db in
            try await db.execute(
                """
                UPDATE outbox SET media_ids = (COALESCE(media_ids, '{}')::jsonb || jsonb_build_object(\(String(index))::text, \(platformID)::text))::text
                WHERE message_id = \(message)
                """)
        }
    }
}
