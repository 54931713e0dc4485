import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Finding the customer behind a message, and the earlier message it answers.
extension SQLiteStore {
    /// The customer owning this identity and the identity's row, if known; fills in a missing name.
    static func identify(_ db: Database, identity: ChannelIdentity, name: String?) throws -> (customer: Int64, identity: Int64)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, customer_id FROM identities WHERE channel = ? AND address = ?"),
                arguments: [identity.channel, identity.address])
        else { return nil }
        let customer: Int64 = row["customer_id"]
        if let name {
            try db.cachedStatement(sql: "UPDATE customers SET name = ? WHERE id = ? AND name IS NULL").execute(arguments: [name, customer])
        }
        return (customer, row["id"])
    }

    static func insertIdentity(_ db: Database, customer: Int64, identity: ChannelIdentity, adapter: String, at: Double) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO identities (customer_id, channel, address, adapter, created_at) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [customer, identity.channel, identity.address, adapter, at])
        return db.lastInsertedRowID
    }

    /// The first stored message of this adapter that `references` names: a customer's message we
    /// received or one of our replies (matched by the id the channel gave it).
    static func answeredMessage(
        _ db: Database, adapter: String, references: [String]
    ) throws -> AnsweredMessage? {
        for reference in references.prefix(20) where !reference.isEmpty {
            // Two statements so each uses its partial (adapter, external_id) index.
            for direction in ["inbound", "outbound"] {
                let answered = try db.cachedStatement(
                    sql: """
                        SELECT m.id, m.conversation_id, c.customer_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE m.adapter = ? AND m.external_id = ? AND m.direction = '\(direction)' LIMIT 1
                        """
                ).first([adapter, reference]) { AnsweredMessage(message: $0[0], conversation: $0[1], customer: $0[2], ours: direction == "outbound") }
                if let answered { return answered }
            }
        }
        return nil
    }

    /// The live conversation whose reference (`SB-000123-K7QMX`, check part verified) the message
    /// quotes in its subject or first lines, if any.
    static func quotedReference(
        _ db: Database, _ message: InboundMessage, references: ConversationReferences
    ) throws -> QuotedConversation? {
        guard let id = QuotedReference.find(in: message, references: references) else { return nil }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT customer_id FROM conversations WHERE id = ? AND status != 'merged'"), arguments: [id])
        else { return nil }
        return QuotedConversation(conversation: id, customer: row["customer_id"])
    }

    static func encodeMetadata(_ metadata: [String: String]) -> String? {
        metadata.isEmpty ? nil : JSONText.object(metadata)
    }
}
