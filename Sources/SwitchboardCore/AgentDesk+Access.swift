import Foundation

/// Who may read a conversation, in one place: its owner and assignee, supervisors, and agents
/// mentioned in one of its notes (a stored grant for that conversation only). Reading covers the
/// thread, the customer, attachments, presence, search, saved replies filled in for it, its live
/// events, and answering in a note; every other change needs the conversation to be theirs
/// (``authorize(_:_:)``).
extension AgentDesk {
    /// Whether `viewer` may read the conversation.
    func canRead(_ access: ConversationAccess, _ viewer: Viewer) async throws -> Bool {
        if viewer.canSee(owner: access.owner, assignee: access.assignee) { return true }
        return try await store.hasReadGrant(agent: viewer.agentID, conversation: access.id)
    }

    /// The conversation's routing facts when `viewer` may read it: 404 when there is none, 403 when
    /// it is not theirs to read.
    func authorizeRead(_ conversationID: Int64, _ viewer: Viewer) async throws -> ConversationAccess {
        guard let access = try await store.access(conversation: conversationID) else {
            throw ServiceError.notFound("conversation \(conversationID)")
        }
        guard try await canRead(access, viewer) else {
            throw ServiceError.forbidden(
                "conversation \(conversationID) is neither assigned to nor owned by \(viewer.agentID), who was not mentioned in it")
        }
        return access
    }
}
