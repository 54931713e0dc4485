import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// The people each conversation's customer wrote with (``ConversationParticipant``).
extension SQLiteStore {
    public func participants(conversation id: Int64) async throws -> [ConversationParticipant] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT channel, address, added_at FROM conversation_participants WHERE conversation_id = ? ORDER BY added_at, address"),
                arguments: [id]
            ).map { ConversationParticipant(channel: $0[0], address: $0[1], addedAt: Date(epoch: $0[2])) }
        }
    }

    public func removeParticipant(conversation id: Int64, channel: String, address: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM conversation_participants WHERE conversation_id = ? AND channel = ? AND address = ?",
                arguments: [id, channel, address])
            return db.changesCount > 0
        }
    }

    /// Records participants of a conversation (each channel and address once), in the caller's transaction.
    static func addParticipants(_ db: Database, _ people: [ChannelIdentity], conversation: Int64, at: Date) throws {
        guard !people.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO conversation_participants (conversation_id, channel, address, added_at) VALUES (?, ?, ?, ?)")
        for person in people { try insert.execute(arguments: [conversation, person.channel, person.address, at.epoch]) }
    }

    /// Whether `identity` is a recorded participant of `conversation` (a primary-key lookup).
    static func isParticipant(_ db: Database, _ identity: ChannelIdentity, of conversation: Int64) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM conversation_participants WHERE conversation_id = ? AND channel = ? AND address = ?"),
            arguments: [conversation, identity.channel, identity.address]) == true
    }
}
