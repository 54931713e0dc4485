import Foundation

/// Who may read a conversation, in one place: its owner and assignee, and supervisors.
extension AgentDesk {
    /// Whether `viewer` may read the conversation.
    func canRead(_ access: ConversationAccess, _ viewer: Viewer) async throws -> Bool {
        viewer.canSee(owner: access.owner, assignee: access.assignee)
    }

    /// The conversation's routing facts when `viewer` may read it: 404 when there is none, 403 when
    /// it is not theirs to read.
    func authorizeRead(_ conversationID: Int64, _ viewer: Viewer) async throws -> ConversationAccess {
        guard let access = try await store.access(conversation: conversationID) else {
            throw ServiceError.notFound("conversation \(conversationID)")
        }
        guard try await canRead(access, viewer) else {
            throw ServiceError.forbidden("conversation \(conversationID) is neither assigned to nor owned by \(viewer.agentID)")
        }
        return access
    }
}
