import PostgresNIO

/// The per-channel contact counts of the customer card (migration 020, SQLite's 027): for each
/// conversation and adapter, how many inbound messages that are not automated replies it holds.
///
/// Triggers keep the table: a statement trigger adds the counts of every message an INSERT stored
/// (one aggregated UPSERT per statement, so a group of buffered messages costs one), and row
/// triggers move a count when a message changes conversation, adapter, direction or metadata
/// (merges and their undoing, erasure) or is deleted. Derived data (`DataTransfer.derivedTables`):
/// export leaves it out and an import rebuilds it through the triggers.
enum PostgresContactCounts {
    /// Whether the message `row` counts as a contact: inbound, not marked `automated`.
    static func counted(_ row: String) -> String {
        """
        \(row).direction = 'inbound' AND (\(row).metadata IS NULL OR strpos(\(row).metadata, '"automated"') = 0
            OR (\(row).metadata::jsonb ->> 'automated') IS NULL)
        """
    }

    static let schema = """
        CREATE TABLE conversation_contacts (
            conversation_id bigint NOT NULL,
            adapter text NOT NULL,  -- '' for a message without one
            contacts integer NOT NULL,
            PRIMARY KEY (conversation_id, adapter)
        );

        CREATE FUNCTION contacts_messages_added() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- In key order, so two transactions counting the same conversations never deadlock.
            INSERT INTO conversation_contacts (conversation_id, adapter, contacts)
                SELECT a.conversation_id, coalesce(a.adapter, ''), count(*) FROM added a WHERE \(counted("a"))
                GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (conversation_id, adapter) DO UPDATE SET contacts = conversation_contacts.contacts + EXCLUDED.contacts;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER contacts_messages_added AFTER INSERT ON messages
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contacts_messages_added();

        CREATE FUNCTION contacts_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF \(counted("OLD")) THEN
                UPDATE conversation_contacts SET contacts = contacts - 1
                WHERE conversation_id = OLD.conversation_id AND adapter = coalesce(OLD.adapter, '');
            END IF;
            IF TG_OP = 'UPDATE' THEN
                IF \(counted("NEW")) THEN
                    INSERT INTO conversation_contacts (conversation_id, adapter, contacts)
                        VALUES (NEW.conversation_id, coalesce(NEW.adapter, ''), 1)
                    ON CONFLICT (conversation_id, adapter) DO UPDATE SET contacts = conversation_contacts.contacts + 1;
                END IF;
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER contacts_message_changed AFTER UPDATE OF conversation_id, direction, adapter, metadata ON messages
            FOR EACH ROW WHEN (OLD.direction = 'inbound' OR NEW.direction = 'inbound') EXECUTE FUNCTION contacts_message_changed();
        CREATE TRIGGER contacts_message_removed AFTER DELETE ON messages
            FOR EACH ROW WHEN (OLD.direction = 'inbound') EXECUTE FUNCTION contacts_message_changed();

        INSERT INTO conversation_contacts (conversation_id, adapter, contacts)
            SELECT m.conversation_id, coalesce(m.adapter, ''), count(*) FROM messages m WHERE \(counted("m")) GROUP BY 1, 2
        """

    /// A conversation's contacts by adapter (a message without one under "unknown").
    static func byAdapter(_ db: PGSession, conversation: Int64) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await db.rows(
            "SELECT adapter, contacts FROM conversation_contacts WHERE conversation_id = \(conversation) AND contacts > 0")
        {
            let adapter: String = try row["adapter"]
            counts[adapter.isEmpty ? "unknown" : adapter] = try row["contacts"]
        }
        return counts
    }
}
