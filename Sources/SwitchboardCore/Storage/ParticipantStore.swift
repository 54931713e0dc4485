import Foundation

/// The people each conversation's customer wrote with. Ingestion records them in its own
/// transaction (``InboundStorePlan/participants``); this role reads them and removes one.
public protocol ParticipantStore: Sendable {
    /// Conversation `id`'s participants, in the order they were first named (then by address).
    func participants(conversation id: Int64) async throws -> [ConversationParticipant]
    /// Removes a participant (an agent split them off): their mail no longer joins the
    /// conversation. Returns whether they were one.
    func removeParticipant(conversation id: Int64, channel: String, address: String) async throws -> Bool
}
