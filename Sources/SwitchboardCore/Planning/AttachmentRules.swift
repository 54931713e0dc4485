import Foundation
import SwitchboardAdapterAPI

/// A file a reply is to carry, before the channel's limits are checked.
public struct ReplyFile: Sendable, Equatable {
    public var fileName: String
    public var mimeType: String
    public var content: Data

    public init(fileName: String, mimeType: String, content: Data) {
        self.fileName = fileName
        self.mimeType = mimeType
        self.content = content
    }
}

/// What a reply names to attach: a new upload, or an attachment already stored with a message
/// (forwarding what a customer sent, or an earlier reply's file).
public enum ReplyAttachment: Sendable, Equatable {
    case upload(Int64)
    case stored(message: Int64, index: Int)
}

/// The channel's file limits, checked once for every reply before it is queued: a refusal names
/// the limit (422), so an agent learns now why a file cannot go, never by a silent non-delivery.
public enum AttachmentRules {
    /// The attachments the reply records (kind as the channel sends it, bytes kept by the store),
    /// or the refusal.
    public static func check(_ files: [ReplyFile], limits: ReplyFileLimits?, adapter: String) throws -> [Attachment] {
        guard !files.isEmpty else { return [] }
        guard let limits else {
            throw ServiceError.unprocessable("attachments_not_supported", "adapter '\(adapter)' sends text only; it cannot carry files")
        }
        if files.count > limits.maxFiles {
            throw ServiceError.unprocessable(
                "too_many_attachments",
                "adapter '\(adapter)' sends at most \(limits.maxFiles) file\(limits.maxFiles == 1 ? "" : "s") per reply; this one has \(files.count)")
        }
        var attachments: [Attachment] = []
        for file in files {
            guard let rule = limits.rule(forMIME: file.mimeType) else {
                let accepted = limits.kinds.map { kind in kind.mimeTypes.map { "\(kind.kind) (\($0.joined(separator: ", ")))" } ?? kind.kind }
                throw ServiceError.unprocessable(
                    "attachment_type_not_allowed",
                    "adapter '\(adapter)' does not send files of type \(file.mimeType) ('\(file.fileName)'); it takes \(accepted.joined(separator: "; "))"
                )
            }
            if file.content.count > rule.maxBytes {
                throw ServiceError.unprocessable(
                    "attachment_too_large",
                    "\(rule.label) are limited to \(formatByteSize(rule.maxBytes)); '\(file.fileName)' has \(formatByteSize(file.content.count))")
            }
            attachments.append(
                Attachment(kind: rule.kind, mimeType: file.mimeType, fileName: file.fileName, size: file.content.count, content: file.content))
        }
        let total = files.reduce(0) { $0 + $1.content.count }
        if let max = limits.maxTotalBytes, total > max {
            throw ServiceError.unprocessable(
                "attachment_too_large",
                "adapter '\(adapter)' sends at most \(formatByteSize(max)) of files per reply; these have \(formatByteSize(total))")
        }
        return attachments
    }
}
