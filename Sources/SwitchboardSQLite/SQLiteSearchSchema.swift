import GRDB

/// The search index (migration 012): FTS5 tables kept by triggers, so a message is indexed in the
/// transaction that stores it, whatever stores it (ingestion, replies, notes, merges, edits, import).
/// Since migration 033 the messages' words are in a file of their own (``SQLiteMessageIndex``); the
/// triggers here mark what it indexes (`search_messages`) and keep what it must take out
/// (`search_changes`). What follows describes 012 as it was.
///
/// - `search_messages`: one row per indexed message (inbound, reply, note; events are not), with
///   what filters read (conversation, time, adapter) and the mark that it is in the index.
/// - `search_message_text`: FTS5 over the message body and e-mail subject, contentless in effect
///   (`content=` a view over the messages themselves: the text is not stored twice). An entry is
///   removed with FTS5's `delete` command and the values it was indexed with, which the triggers
///   have (`old.*`), guarded by `search_messages` so nothing is removed twice.
/// - `search_conversation_text`: FTS5 over each conversation's card (customer name, addresses,
///   tags), rowid = conversation id, rebuilt from the tables whenever one of them changes.
///
/// Words: `unicode61 remove_diacritics 2` (case and accents folded: `camion` finds `camión`),
/// stemmed by `porter` (`orders` finds `order`). Tables named `search_*` are derived data: export
/// leaves them out and an import rebuilds them through these triggers.
enum SQLiteSearchSchema {
    static let tokenizer = "porter unicode61 remove_diacritics 2"
    /// The indexed directions as the migrations up to 033 wrote them (`direction IN …`); what runs
    /// now uses ``isIndexed(_:)``.
    static let indexedDirections = "('inbound', 'outbound', 'note')"

    /// Whether a message of `direction` (a column or `new.direction`) is indexed, written out:
    /// SQLite evaluates `IN` with a list of more than two values by building a temporary b-tree of
    /// them, and in a trigger it builds it again for every row (migration 035).
    static func isIndexed(_ direction: String) -> String {
        "(\(direction) = 'inbound' OR \(direction) = 'outbound' OR \(direction) = 'note')"
    }

    /// The subject an e-mail's metadata JSON carries (NULL for anything else, and for bad JSON).
    static func subject(_ metadata: String) -> String {
        "(CASE WHEN json_valid(\(metadata)) THEN json_extract(\(metadata), '$.subject') END)"
    }

    /// SQL that rebuilds the card of the conversation(s) `ids` selects (a subquery or a value).
    static func refreshCard(_ ids: String) -> String {
        refreshCardStatements(ids).map { $0 + ";" }.joined(separator: "\n")
    }

    /// ``refreshCard(_:)`` as its two statements.
    static func refreshCardStatements(_ ids: String) -> [String] {
        [
            "DELETE FROM search_conversation_text WHERE rowid IN (\(ids))",
            """
            INSERT INTO search_conversation_text (rowid, card)
                SELECT c.id, coalesce(cu.name, '')
                    || ' ' || coalesce((SELECT group_concat(i.address, ' ') FROM identities i WHERE i.customer_id = c.customer_id), '')
                    || ' ' || coalesce((SELECT group_concat(t.tag, ' ') FROM conversation_tags t WHERE t.conversation_id = c.id), '')
                FROM conversations c JOIN customers cu ON cu.id = c.customer_id WHERE c.id IN (\(ids))
            """,
        ]
    }

    /// Migration 026: an ingest group indexes its messages and cards once, at its end (see
    /// ``SQLiteSearchDeferral``): FTS5 writes its pending entries to disk at the start of every
    /// statement that may roll back, so indexing row by row from a trigger wrote one index segment
    /// (and merged segments) per message. While `search_deferred` holds a row — only ever inside an
    /// ingest transaction, deleted before it commits — the insert triggers stand aside.
    static func registerDeferral(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("026-search-deferred") { db in
            try db.execute(
                sql: """
                    CREATE TABLE search_deferred (id INTEGER PRIMARY KEY);
                    DROP TRIGGER search_message_added;
                    CREATE TRIGGER search_message_added AFTER INSERT ON messages
                    WHEN new.direction IN \(indexedDirections) AND NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
                        INSERT INTO search_messages (message_id, conversation_id, created_at, adapter)
                            VALUES (new.id, new.conversation_id, new.created_at, new.adapter);
                        INSERT INTO search_message_text (rowid, body, subject) VALUES (new.id, new.body, \(subject("new.metadata")));
                    END;
                    DROP TRIGGER search_card_conversation_added;
                    CREATE TRIGGER search_card_conversation_added AFTER INSERT ON conversations
                    WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
                        \(refreshCard("new.id"))
                    END;
                    DROP TRIGGER search_card_identity_added;
                    CREATE TRIGGER search_card_identity_added AFTER INSERT ON identities
                    WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
                        \(refreshCard("SELECT id FROM conversations WHERE customer_id = new.customer_id"))
                    END;
                    """)
        }
    }

    /// Migration 035: the insert trigger tests a message's direction without an `IN` list. SQLite
    /// made a temporary b-tree of the three directions (opening and closing a pager for it) every
    /// time the trigger ran, which was for every message stored: about 5 µs each here, 4–5 % of the
    /// ingest writer's samples in a profile.
    static func registerDirectionTest(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("035-search-trigger-without-in-list") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER search_message_added;
                    CREATE TRIGGER search_message_added AFTER INSERT ON messages
                    WHEN \(isIndexed("new.direction")) AND NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
                        INSERT INTO search_messages (message_id, conversation_id, created_at, adapter)
                            VALUES (new.id, new.conversation_id, new.created_at, new.adapter);
                    END;
                    """)
        }
    }

    /// Migration 033: the words of messages move to a file of their own (``SQLiteMessageIndex``).
    /// Here stay `search_messages` (what to index, and the filters' columns) and, new,
    /// `search_changes`: the words an edit or a removal replaced, until the index has taken them
    /// out; and `search_index_generation`, which tells the index file which database it indexes (an
    /// index file of another database, or of this one before an import, is rebuilt).
    static func registerSeparateIndex(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("033-search-index-own-file") { db in
            let changed = "(old.body IS NOT new.body OR \(subject("old.metadata")) IS NOT \(subject("new.metadata")))"
            try db.execute(
                sql: """
                    CREATE TABLE search_changes (
                        -- AUTOINCREMENT: the index remembers the last seq it applied, and pruned
                        -- rows must not let a new change take a seq it has already passed.
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        message_id INTEGER NOT NULL,
                        body TEXT,
                        subject TEXT
                    );
                    CREATE TABLE search_index_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL);
                    INSERT INTO search_index_generation (id, value) VALUES (1, lower(hex(randomblob(16))));
                    DROP TRIGGER search_message_added;
                    CREATE TRIGGER search_message_added AFTER INSERT ON messages
                    WHEN new.direction IN \(indexedDirections) AND NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
                        INSERT INTO search_messages (message_id, conversation_id, created_at, adapter)
                            VALUES (new.id, new.conversation_id, new.created_at, new.adapter);
                    END;
                    DROP TRIGGER search_message_edited;
                    CREATE TRIGGER search_message_edited AFTER UPDATE OF body, metadata ON messages
                    WHEN \(changed) AND EXISTS (SELECT 1 FROM search_messages WHERE message_id = old.id) BEGIN
                        INSERT INTO search_changes (message_id, body, subject) VALUES (old.id, old.body, \(subject("old.metadata")));
                    END;
                    DROP TRIGGER search_message_removed;
                    CREATE TRIGGER search_message_removed AFTER DELETE ON messages
                    WHEN EXISTS (SELECT 1 FROM search_messages WHERE message_id = old.id) BEGIN
                        INSERT INTO search_changes (message_id, body, subject) VALUES (old.id, old.body, \(subject("old.metadata")));
                        DELETE FROM search_messages WHERE message_id = old.id;
                    END;
                    DROP TABLE search_message_text;
                    DROP VIEW search_message_source;
                    """)
        }
    }

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("012-search") { db in
            try db.execute(
                sql: """
                    CREATE TABLE search_messages (
                        message_id INTEGER PRIMARY KEY,
                        conversation_id INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        adapter TEXT
                    );
                    CREATE INDEX search_messages_by_conversation ON search_messages(conversation_id);
                    CREATE VIEW search_message_source AS
                        SELECT m.id AS id, m.body AS body, \(subject("m.metadata")) AS subject
                        FROM search_messages s JOIN messages m ON m.id = s.message_id;
                    CREATE VIRTUAL TABLE search_message_text USING fts5(
                        body, subject, content = 'search_message_source', content_rowid = 'id', columnsize = 0,
                        tokenize = '\(tokenizer)');
                    CREATE VIRTUAL TABLE search_conversation_text USING fts5(card, tokenize = '\(tokenizer)');

                    CREATE TRIGGER search_message_added AFTER INSERT ON messages
                    WHEN new.direction IN \(indexedDirections) BEGIN
                        INSERT INTO search_messages (message_id, conversation_id, created_at, adapter)
                            VALUES (new.id, new.conversation_id, new.created_at, new.adapter);
                        INSERT INTO search_message_text (rowid, body, subject) VALUES (new.id, new.body, \(subject("new.metadata")));
                    END;
                    CREATE TRIGGER search_message_edited AFTER UPDATE OF body, metadata ON messages
                    WHEN EXISTS (SELECT 1 FROM search_messages WHERE message_id = old.id) BEGIN
                        INSERT INTO search_message_text (search_message_text, rowid, body, subject)
                            VALUES ('delete', old.id, old.body, \(subject("old.metadata")));
                        INSERT INTO search_message_text (rowid, body, subject) VALUES (new.id, new.body, \(subject("new.metadata")));
                    END;
                    CREATE TRIGGER search_message_moved AFTER UPDATE OF conversation_id, created_at, adapter ON messages BEGIN
                        UPDATE search_messages SET conversation_id = new.conversation_id, created_at = new.created_at, adapter = new.adapter
                            WHERE message_id = new.id;
                    END;
                    CREATE TRIGGER search_message_removed AFTER DELETE ON messages
                    WHEN EXISTS (SELECT 1 FROM search_messages WHERE message_id = old.id) BEGIN
                        INSERT INTO search_message_text (search_message_text, rowid, body, subject)
                            VALUES ('delete', old.id, old.body, \(subject("old.metadata")));
                        DELETE FROM search_messages WHERE message_id = old.id;
                    END;

                    CREATE TRIGGER search_card_conversation_added AFTER INSERT ON conversations BEGIN
                        \(refreshCard("new.id"))
                    END;
                    CREATE TRIGGER search_card_conversation_moved AFTER UPDATE OF customer_id ON conversations BEGIN
                        \(refreshCard("new.id"))
                    END;
                    CREATE TRIGGER search_card_conversation_removed AFTER DELETE ON conversations BEGIN
                        DELETE FROM search_conversation_text WHERE rowid = old.id;
                    END;
                    CREATE TRIGGER search_card_renamed AFTER UPDATE OF name ON customers BEGIN
                        \(refreshCard("SELECT id FROM conversations WHERE customer_id = new.id"))
                    END;
                    CREATE TRIGGER search_card_identity_added AFTER INSERT ON identities BEGIN
                        \(refreshCard("SELECT id FROM conversations WHERE customer_id = new.customer_id"))
                    END;
                    CREATE TRIGGER search_card_identity_changed AFTER UPDATE OF customer_id, address ON identities BEGIN
                        \(refreshCard("SELECT id FROM conversations WHERE customer_id IN (old.customer_id, new.customer_id)"))
                    END;
                    CREATE TRIGGER search_card_identity_removed AFTER DELETE ON identities BEGIN
                        \(refreshCard("SELECT id FROM conversations WHERE customer_id = old.customer_id"))
                    END;
                    CREATE TRIGGER search_card_tagged AFTER INSERT ON conversation_tags BEGIN
                        \(refreshCard("new.conversation_id"))
                    END;
                    CREATE TRIGGER search_card_untagged AFTER DELETE ON conversation_tags BEGIN
                        \(refreshCard("old.conversation_id"))
                    END;

                    INSERT INTO search_messages (message_id, conversation_id, created_at, adapter)
                        SELECT id, conversation_id, created_at, adapter FROM messages WHERE direction IN \(indexedDirections);
                    INSERT INTO search_message_text (rowid, body, subject)
                        SELECT id, body, \(subject("metadata")) FROM messages WHERE direction IN \(indexedDirections);
                    \(refreshCard("SELECT id FROM conversations"))
                    """)
        }
    }
}
