import Foundation

/// A file an agent's reply carries, as the adapter sends it: the bytes, what they are, and what
/// an earlier attempt of the same reply left behind (a platform's media id, to send it again
/// without uploading it twice).
public struct OutboundAttachment: Sendable {
    /// Its position in the reply's attachments (0-based); the key of ``platformMediaID``.
    public var index: Int
    /// `image`, `audio`, `video` or `document` (see ``AttachmentKind/of(mimeType:)``).
    public var kind: String
    public var fileName: String
    public var mimeType: String
    public var content: Data
    /// What the platform answered when an earlier attempt uploaded this file (WhatsApp's media id,
    /// Telegram's `file_id`); nil when no attempt uploaded it yet.
    public var platformMediaID: String?
    /// A signed, expiring URL of the gateway that serves these bytes to whoever holds it (for
    /// platforms that fetch media themselves, like Twilio MMS); nil without a `public_url`.
    public var link: String?

    public init(
        index: Int, kind: String, fileName: String, mimeType: String, content: Data, platformMediaID: String? = nil, link: String? = nil
    ) {
        self.index = index
        self.kind = kind
        self.fileName = fileName
        self.mimeType = mimeType
        self.content = content
        self.platformMediaID = platformMediaID
        self.link = link
    }
}

/// The four kinds of file channels tell apart when they send one.
public enum AttachmentKind {
    /// `image/*` → `image`, `audio/*` → `audio`, `video/*` → `video`, anything else `document`.
    public static func of(mimeType: String) -> String {
        let type = mimeType.lowercased()
        if type.hasPrefix("image/") { return "image" }
        if type.hasPrefix("audio/") { return "audio" }
        if type.hasPrefix("video/") { return "video" }
        return "document"
    }
}

/// What files a channel accepts on a reply; the core checks them before the reply is queued.
public struct ReplyFileLimits: Sendable, Equatable, Codable {
    /// One kind of file the channel takes (`image`, `audio`, `video`, `document`).
    public struct Kind: Sendable, Equatable, Codable {
        public var kind: String
        /// The media types accepted (lower case); nil: any.
        public var mimeTypes: [String]?
        public var maxBytes: Int
        /// How the limit is named to the agent: "WhatsApp documents".
        public var label: String

        enum CodingKeys: String, CodingKey {
            case kind, label
            case mimeTypes = "mime_types"
            case maxBytes = "max_bytes"
        }

        public init(_ kind: String, maxBytes: Int, mimeTypes: [String]? = nil, label: String) {
            self.kind = kind
            self.mimeTypes = mimeTypes
            self.maxBytes = maxBytes
            self.label = label
        }
    }

    /// The most files one reply may carry.
    public var maxFiles: Int
    /// The most bytes all files of one reply may have together; nil: only the per-kind limits.
    public var maxTotalBytes: Int?
    /// The kinds accepted; a file of a kind not listed is refused.
    public var kinds: [Kind]

    enum CodingKeys: String, CodingKey {
        case kinds
        case maxFiles = "max_files"
        case maxTotalBytes = "max_total_bytes"
    }

    public init(maxFiles: Int, maxTotalBytes: Int? = nil, kinds: [Kind]) {
        self.maxFiles = maxFiles
        self.maxTotalBytes = maxTotalBytes
        self.kinds = kinds
    }

    /// The limit for a file of this media type: its kind's entry when that kind is listed and
    /// accepts the type; nil when the channel does not take it.
    public func rule(forMIME mimeType: String) -> Kind? {
        let kind = AttachmentKind.of(mimeType: mimeType)
        let type = mimeType.lowercased()
        if let exact = kinds.first(where: { $0.kind == kind && ($0.mimeTypes?.contains(type) ?? true) }) { return exact }
        // A type a kind does not list may still go as a document (a WebP image as a file).
        return kinds.first { $0.kind == "document" && ($0.mimeTypes?.contains(type) ?? true) }
    }
}

/// How a size reads to an agent: `100 MB`, `512 KB`, `300 bytes`.
public func formatByteSize(_ bytes: Int) -> String {
    if bytes >= 1_000_000 && bytes % 1_000_000 == 0 { return "\(bytes / 1_000_000) MB" }
    if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1_000_000) }
    if bytes >= 1000 { return "\(bytes / 1000) KB" }
    return "\(bytes) bytes"
}
