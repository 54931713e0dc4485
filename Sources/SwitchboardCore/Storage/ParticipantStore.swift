import Foundation

/// The people each conversation's customer wrote with. Ingestion records them in its own
/// transaction (``InboundStorePlan/participants``); this role reads them.
public protocol ParticipantStore: Sendable {
    /// Conversation `id`'s participants, in the order they were first named (then by address).
    func participants(conversation id: Int64) async throws -> [ConversationParticipant]
}
