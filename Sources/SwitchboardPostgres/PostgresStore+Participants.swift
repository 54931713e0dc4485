import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// The people each conversation's customer wrote with (``ConversationParticipant``).
extension PostgresStore {
    public func participants(conversation id: Int64) async throws -> [ConversationParticipant] {
        try await read { db in
            try await db.rows(
                "SELECT channel, address, added_at FROM conversation_participants WHERE conversation_id = \(id) ORDER BY added_at, address"
            ).map { row in
                ConversationParticipant(channel: try row["channel"], address: try row["address"], addedAt: Date(epoch: try row["added_at"] as Double))
            }
        }
    }

    public func removeParticipant(conversation id: Int64, channel: String, address: String) async throws -> Bool {
        try await write { db in
            try await db.count(
                """
                DELETE FROM conversation_participants
                WHERE conversation_id = \(id) AND channel = \(channel) AND address = \(address) RETURNING 1
                """) > 0
        }
    }

    /// Records participants of a conversation (each channel and address once) in one statement,
    /// in the caller's transaction.
    static func addParticipants(_ db: PGSession, _ people: [ChannelIdentity], conversation: Int64, at: Date) async throws {
        guard !people.isEmpty else { return }
        try await db.prepared.execute(
            """
            INSERT INTO conversation_participants (conversation_id, channel, address, added_at)
            SELECT \(conversation), v.channel, v.address, \(at.epoch)
            FROM unnest(\(people.map(\.channel))::text[], \(people.map(\.address))::text[]) AS v(channel, address)
            ON CONFLICT DO NOTHING
            """)
    }

    /// Whether `identity` is a recorded participant of `conversation` (a primary-key lookup).
    static func isParticipant(_ db: PGSession, _ identity: ChannelIdentity, of conversation: Int64) async throws -> Bool {
        try await db.prepared.row(
            """
            SELECT 1 FROM conversation_participants
            WHERE conversation_id = \(conversation) AND channel = \(identity.channel) AND address = \(identity.address)
            """) != nil
    }
}
