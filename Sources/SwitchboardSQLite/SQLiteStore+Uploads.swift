import Foundation
import GRDB
import SwitchboardCore

/// Uploads: a row each, their bytes in `attachment_contents` (one reference per upload).
extension SQLiteStore {
    public func saveUpload(_ upload: Upload, content: Data) async throws -> Upload {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO attachment_contents (sha256, size, content, created_at, refs) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT (sha256) DO UPDATE SET refs = attachment_contents.refs + 1
                    """, arguments: [upload.sha256, content.count, content, upload.createdAt.epoch])
            try db.execute(
                sql: "INSERT INTO uploads (uploader, file_name, mime_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [upload.uploader, upload.fileName, upload.mimeType, upload.size, upload.sha256, upload.createdAt.epoch])
            var saved = upload
            saved.id = db.lastInsertedRowID
            return saved
        }
    }

    public func upload(_ id: Int64) async throws -> StoredUpload? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT u.*, c.content FROM uploads u JOIN attachment_contents c ON c.sha256 = u.sha256 WHERE u.id = ?
                        """, arguments: [id])
            else { return nil }
            let upload = Upload(
                id: row["id"], uploader: row["uploader"], fileName: row["file_name"], mimeType: row["mime_type"], size: row["size"],
                sha256: row["sha256"], createdAt: Date(epoch: row["created_at"]))
            return StoredUpload(upload: upload, content: row["content"])
        }
    }

    public func pruneUploads(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        try await pool.write { db in
            let old = try Row.fetchAll(
                db, sql: "SELECT id, sha256 FROM uploads WHERE created_at < ? ORDER BY created_at LIMIT ?", arguments: [cutoff.epoch, limit])
            var released: [String: Int] = [:]
            for row in old {
                try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [row["id"] as Int64])
                released[row["sha256"], default: 0] += 1
            }
            _ = try Self.release(db, released)
            return old.count
        }
    }

    public func outboundMediaIDs(message: Int64) async throws -> [Int: String] {
        try await pool.read { db in
            guard let json = try String.fetchOne(db, sql: "SELECT media_ids FROM outbox WHERE message_id = ?", arguments: [message]),
                let ids = try? JSONCoding.decode([String: String].self, from: Array(json.utf8))
            else { return [:] }
            return Dictionary(uniqueKeysWithValues: ids.compactMap { key, value in Int(key).map { ($0, value) } })
        }
    }

    public func recordOutboundMediaID(message: Int64, index: Int, platformID: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE outbox SET media_ids = json_set(COALESCE(media_ids, '{}'), '$."' || ? || '"', ?) WHERE message_id = ?
                    """, arguments: [index, platformID, message])
        }
    }
}
