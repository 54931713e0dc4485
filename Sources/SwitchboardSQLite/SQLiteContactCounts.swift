import GRDB

/// The per-channel contact counts of the customer card (migration 027): for each conversation and
/// adapter, how many inbound messages that are not automated replies it holds.
///
/// Triggers keep the table: one UPSERT when a counted message is stored (compiled once with the
/// caching INSERT statement that stores it, no bound value in its SQL), and a move of the count when a
/// message changes conversation, adapter, direction or metadata (merges and their undoing, erasure) or
/// is deleted. The table is derived data (`DataTransfer.derivedTables`): export leaves it out, and an
/// import rebuilds it through the triggers.
enum SQLiteContactCounts {
    /// Whether the message `row` (`new` or `old`) counts as a contact: inbound, and not marked
    /// `automated` in its metadata (the text test first: most metadata never names it).
    static func counted(_ row: String) -> String {
        """
        \(row).direction = 'inbound' AND (\(row).metadata IS NULL OR instr(\(row).metadata, '"automated"') = 0
            OR NOT json_valid(\(row).metadata) OR json_extract(\(row).metadata, '$.automated') IS NULL)
        """
    }

    static let schema = """
        CREATE TABLE conversation_contacts (
            conversation_id INTEGER NOT NULL,
            adapter TEXT NOT NULL,  -- '' for a message without one
            contacts INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, adapter)
        ) WITHOUT ROWID;

        CREATE TRIGGER contacts_message_added AFTER INSERT ON messages WHEN \(counted("new")) BEGIN
            INSERT INTO conversation_contacts (conversation_id, adapter, contacts) VALUES (new.conversation_id, coalesce(new.adapter, ''), 1)
                ON CONFLICT (conversation_id, adapter) DO UPDATE SET contacts = contacts + 1;
        END;
        CREATE TRIGGER contacts_message_left AFTER UPDATE OF conversation_id, direction, adapter, metadata ON messages
        WHEN \(counted("old")) BEGIN
            UPDATE conversation_contacts SET contacts = contacts - 1
                WHERE conversation_id = old.conversation_id AND adapter = coalesce(old.adapter, '');
        END;
        CREATE TRIGGER contacts_message_arrived AFTER UPDATE OF conversation_id, direction, adapter, metadata ON messages
        WHEN \(counted("new")) BEGIN
            INSERT INTO conversation_contacts (conversation_id, adapter, contacts) VALUES (new.conversation_id, coalesce(new.adapter, ''), 1)
                ON CONFLICT (conversation_id, adapter) DO UPDATE SET contacts = contacts + 1;
        END;
        CREATE TRIGGER contacts_message_removed AFTER DELETE ON messages WHEN \(counted("old")) BEGIN
            UPDATE conversation_contacts SET contacts = contacts - 1
                WHERE conversation_id = old.conversation_id AND adapter = coalesce(old.adapter, '');
        END;

        INSERT INTO conversation_contacts (conversation_id, adapter, contacts)
            SELECT conversation_id, coalesce(adapter, ''), COUNT(*) FROM messages m WHERE \(counted("m")) GROUP BY 1, 2;
        """

    /// A conversation's contacts by adapter (a message without one under "unknown").
    static func byAdapter(_ db: Database, conversation: Int64) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT adapter, contacts FROM conversation_contacts WHERE conversation_id = ? AND contacts > 0"),
            arguments: [conversation])
        {
            let adapter: String = row[0]
            counts[adapter.isEmpty ? "unknown" : adapter] = row[1]
        }
        return counts
    }
}
