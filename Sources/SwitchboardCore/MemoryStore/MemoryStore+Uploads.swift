import Foundation

/// Uploads in memory: the same content table and references as attachments.
extension MemoryStore {
    public func saveUpload(_ upload: Upload, content: Data) async throws -> Upload {
        tables.withLock { t in
            var saved = upload
            saved.id = t.id()
            t.contents[upload.sha256] = content
            t.contentRefs[upload.sha256, default: 0] += 1
            t.uploads[saved.id] = saved
            return saved
        }
    }

    public func upload(_ id: Int64) async throws -> StoredUpload? {
        tables.withLock { t in
            guard let upload = t.uploads[id], let content = t.contents[upload.sha256] else { return nil }
            return StoredUpload(upload: upload, content: content)
        }
    }

    public func pruneUploads(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        tables.withLock { t in
            let old = t.uploads.values.filter { $0.createdAt < cutoff }.sorted { $0.id < $1.id }.prefix(limit)
            for upload in old {
                t.uploads[upload.id] = nil
                let left = (t.contentRefs[upload.sha256] ?? 0) - 1
                if left <= 0 {
                    t.contents[upload.sha256] = nil
                    t.contentRefs[upload.sha256] = nil
                } else {
                    t.contentRefs[upload.sha256] = left
                }
            }
            // Media ids of replies that left the outbox are of no further use.
            t.outboundMedia = t.outboundMedia.filter { t.outbox[$0.key] != nil }
            return old.count
        }
    }

    public func outboundMediaIDs(message: Int64) async throws -> [Int: String] {
        tables.withLock { t in t.outbox[message] == nil ? [:] : t.outboundMedia[message] ?? [:] }
    }

    public func recordOutboundMediaID(message: Int64, index: Int, platformID: String) async throws {
        tables.withLock { t in
            guard t.outbox[message] != nil else { return }
            t.outboundMedia[message, default: [:]][index] = platformID
        }
    }
}
