import Foundation
import Logging
import ServiceLifecycle
import SwitchboardAdapterAPI

extension AgentDesk {
    /// How long an upload waits to be sent before it is pruned.
    public static let uploadLifetime: Duration = .seconds(86400)

    /// Keeps a file the agent will send and returns what the API answers. The name loses any path
    /// and control characters; the type must look like `type/subtype` (else a byte stream).
    public func upload(content: Data, fileName: String?, mimeType: String?, by viewer: Viewer) async throws -> Upload {
        guard !content.isEmpty else { throw ServiceError.badRequest("the upload is empty") }
        guard content.count <= maxUploadBytes else {
            throw ServiceError(
                status: 413, code: "upload_too_large",
                message: "uploads are limited to \(Self.describeSize(maxUploadBytes)); this one has \(formatByteSize(content.count))")
        }
        let name = Self.cleanFileName(fileName)
        let type = Self.cleanMediaType(mimeType)
        return try await store.saveUpload(
            Upload(
                uploader: viewer.agentID, fileName: name, mimeType: type, size: content.count, sha256: Attachment.sha256Hex(content),
                createdAt: now()), content: content)
    }

    /// The files a reply names, each checked: an upload of the agent's own (a supervisor may send
    /// anyone's) that was not pruned, or a stored attachment of a message the agent may read.
    func replyFiles(_ attachments: [ReplyAttachment], by viewer: Viewer) async throws -> [ReplyFile] {
        var files: [ReplyFile] = []
        for attachment in attachments {
            switch attachment {
            case .upload(let id):
                guard let stored = try await store.upload(id) else {
                    throw ServiceError.unprocessable("unknown_upload", "there is no upload \(id) (uploads are kept for a day until sent)")
                }
                guard stored.upload.uploader == viewer.agentID || viewer.isSupervisor else {
                    throw ServiceError.forbidden("upload \(id) was made by another agent")
                }
                files.append(ReplyFile(fileName: stored.upload.fileName, mimeType: stored.upload.mimeType, content: stored.content))
            case .stored(let message, let index):
                let found = try await self.attachment(message: message, index: index, by: viewer)
                files.append(
                    ReplyFile(
                        fileName: found.attachment.fileName ?? "attachment-\(index)",
                        mimeType: Self.cleanMediaType(found.attachment.mimeType), content: found.content))
            }
        }
        return files
    }

    /// A configured size as it was most likely written (`100m` is 100 MiB).
    public static func describeSize(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : formatByteSize(bytes)
    }

    /// The last path component, without control characters; `file` when nothing is left.
    static func cleanFileName(_ raw: String?) -> String {
        let last = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.properties.generalCategory != .control })).trimmed
        return clean.isEmpty || clean == "." || clean == ".." ? "file" : String(clean.prefix(255))
    }

    /// `type/subtype` in lower case without parameters, or `application/octet-stream`.
    static func cleanMediaType(_ raw: String?) -> String {
        let type = (raw ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        let token = { (part: Substring) in
            !part.isEmpty && part.count <= 127
                && part.unicodeScalars.allSatisfy {
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "!#$&^_.+-".unicodeScalars.contains($0))
                }
        }
        return parts.count == 2 && token(parts[0]) && token(parts[1]) ? type : "application/octet-stream"
    }
}

/// Removes uploads nobody sent within ``AgentDesk/uploadLifetime``; runs on the leader, hourly.
public struct UploadPruner: Service {
    let store: any UploadStore
    let leadership: any Leadership
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any UploadStore, leadership: any Leadership = SoleLeader(), interval: Duration = .seconds(3600),
        now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.store = store
        self.leadership = leadership
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if leadership.isLeader {
                    do { _ = try await tick() } catch { logger.warning("pruning uploads failed", metadata: ["error": "\(error)"]) }
                }
                try? await Task.sleep(for: leadership.isLeader ? interval : min(interval, .seconds(5)))
            }
        }
    }

    /// Removes every upload older than a day, in batches; returns how many went.
    @discardableResult
    public func tick() async throws -> Int {
        let cutoff = now().addingTimeInterval(-Double(AgentDesk.uploadLifetime.components.seconds))
        var removed = 0
        while true {
            let batch = try await store.pruneUploads(createdBefore: cutoff, limit: 200)
            removed += batch
            if batch < 200 { break }
        }
        if removed > 0 { logger.info("pruned unsent uploads", metadata: ["count": "\(removed)"]) }
        return removed
    }
}
