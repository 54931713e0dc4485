import Foundation
import SwitchboardAdapterAPI

/// Splitting a participant off a conversation.
extension AgentDesk {
    /// What removing a participant did.
    public struct ParticipantRemoval: Sendable, Encodable {
        public var address: String
        /// Whether they were a participant (removing someone who is not changes nothing).
        public var removed: Bool
        /// The line recorded in the thread, when one was removed.
        public var event: MessageRecord?
    }

    /// Removes `address` from the conversation's participants, so their mail no longer joins it
    /// (it starts their own conversation, with the merge suggestion), and records who did it in
    /// the thread. What was already stored stays where it is; whom a reply copies is chosen per
    /// reply (`cc`).
    public func removeParticipant(_ conversationID: Int64, address: String, by viewer: Viewer) async throws -> ParticipantRemoval {
        let access = try await authorize(conversationID, viewer)
        let wanted = address.trimmed.lowercased()
        guard !wanted.isEmpty else { throw ServiceError.badRequest("'address' must name the participant to remove") }
        var removed = false
        for person in try await store.participants(conversation: conversationID) where person.address == wanted {
            removed = try await store.removeParticipant(conversation: conversationID, channel: person.channel, address: person.address) || removed
        }
        guard removed else { return ParticipantRemoval(address: wanted, removed: false, event: nil) }
        let event = try await store.appendInternal(
            conversation: conversationID, direction: .event, author: viewer.agentID,
            body: "\(viewer.agentID) split \(wanted) off this conversation: their mail no longer joins it", at: now())
        events.publish(.messageCreated(event), conversation: access)
        return ParticipantRemoval(address: wanted, removed: true, event: event)
    }
}
