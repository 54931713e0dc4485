import Foundation
import SwitchboardAdapterAPI

extension AgentDesk {
    /// The `index`th attachment (0-based) of message `id`, for someone who may see its
    /// conversation: 404 for an unknown message or index and for one whose bytes were not kept
    /// (with the reason), 403 for another agent's conversation.
    public func attachment(message id: Int64, index: Int, by viewer: Viewer) async throws -> (attachment: Attachment, content: Data) {
        guard let access = try await store.access(message: id) else { throw ServiceError.notFound("message \(id)") }
        guard try await canRead(access, viewer) else {
            throw ServiceError.forbidden("message \(id) belongs to a conversation that is not yours")
        }
        guard let stored = try await store.attachment(message: id, index: index) else {
            throw ServiceError.notFound("attachment \(index) of message \(id)")
        }
        guard let content = stored.content else {
            let why = stored.attachment.notStoredReason ?? "the channel delivered no content for it, only what the message lists"
            throw ServiceError(status: 404, code: "attachment_not_stored", message: "attachment \(index) of message \(id) was not stored: \(why)")
        }
        return (stored.attachment, content)
    }
}
