import Foundation

/// A file an agent uploaded to send with a reply. Its bytes live in the content-addressed
/// attachment store (once per distinct content); the upload row holds one reference to them.
public struct Upload: Sendable, Codable, Equatable {
    /// Set by the store.
    public var id: Int64
    /// The agent who uploaded it: only they (and supervisors) may send it.
    public var uploader: String
    public var fileName: String
    public var mimeType: String
    public var size: Int
    public var sha256: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, uploader, size, sha256
        case fileName = "file_name"
        case mimeType = "mime_type"
        case createdAt = "created_at"
    }

    public init(id: Int64 = 0, uploader: String, fileName: String, mimeType: String, size: Int, sha256: String, createdAt: Date) {
        self.id = id
        self.uploader = uploader
        self.fileName = fileName
        self.mimeType = mimeType
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
    }
}

/// An upload with its bytes.
public struct StoredUpload: Sendable, Equatable {
    public var upload: Upload
    public var content: Data

    public init(upload: Upload, content: Data) {
        self.upload = upload
        self.content = content
    }
}

/// Uploads waiting to be sent, and what a reply's delivery attempts learnt about its files.
public protocol UploadStore: Sendable {
    /// Keeps `content` under its SHA-256 (one more reference when it is already stored) and records
    /// the upload; returns it with its id. `upload.sha256` and `size` must describe `content`.
    func saveUpload(_ upload: Upload, content: Data) async throws -> Upload
    /// The upload with its bytes; nil when there is none (never made, or pruned).
    func upload(_ id: Int64) async throws -> StoredUpload?
    /// Removes up to `limit` uploads made before `cutoff`, oldest first, each giving up its reference
    /// to its content (which goes with the last one); returns how many. Replies that carry the file
    /// hold references of their own.
    func pruneUploads(createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// The platform media ids delivery attempts recorded for a queued reply's files (index → id).
    func outboundMediaIDs(message: Int64) async throws -> [Int: String]
    /// Records one with the reply's outbox entry (nothing when the reply is no longer queued).
    func recordOutboundMediaID(message: Int64, index: Int, platformID: String) async throws
}
