/// The search index (migration 005), kept by triggers so a message is indexed in the transaction
/// that stores it, whatever stores it (ingestion, replies, notes, merges, edits, import).
///
/// - `search_messages`: one row per indexed message (inbound, reply, note; events are not) with
///   what filters read and `document`, a `tsvector` of the body and e-mail subject stemmed both as
///   English and as Spanish (a contact centre gets both; each query is read both ways too), under
///   a GIN index; the primary key gives the newest-first order.
/// - `search_conversations`: each conversation's card (customer name, addresses whole and split at
///   punctuation, tags) as a `simple` (unstemmed) `tsvector`.
///
/// Accents and case are folded by `search_fold` before anything is parsed (`camion` finds
/// `camión`): a `translate` over the Latin letters Spanish and its neighbours use, so no extension
/// (`unaccent`) nor superuser is needed and every deployment folds the same way. Tables named
/// `search_*` are derived data: export leaves them out and an import rebuilds them through these
/// triggers.
enum PostgresSearchSchema {
    static let migration: (version: String, sql: String) = (
        "005-search",
        """
        CREATE FUNCTION search_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT lower(translate(t, 'ÁÀÂÄÃÅáàâäãåÉÈÊËéèêëÍÌÎÏíìîïÓÒÔÖÕØóòôöõøÚÙÛÜúùûüÑñÇçÝýÿ',
                                      'AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuNnCcYyy'))
        $$;
        CREATE FUNCTION search_subject(metadata text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN metadata LIKE '%"subject"%' THEN metadata::jsonb ->> 'subject' END
        $$;
        CREATE FUNCTION search_message_document(body text, metadata text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT to_tsvector('english'::regconfig, f) || to_tsvector('spanish'::regconfig, f)
            FROM (SELECT search_fold(concat_ws(' ', search_subject(metadata), body)) AS f) folded
        $$;
        CREATE FUNCTION search_message_query(q text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT websearch_to_tsquery('english'::regconfig, search_fold(q)) || websearch_to_tsquery('spanish'::regconfig, search_fold(q))
        $$;
        CREATE FUNCTION search_card_query(q text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT websearch_to_tsquery('simple'::regconfig, search_fold(q))
        $$;

        CREATE TABLE search_messages (
            message_id bigint PRIMARY KEY,
            conversation_id bigint NOT NULL,
            created_at double precision NOT NULL,
            adapter text,
            document tsvector NOT NULL
        );
        CREATE INDEX search_messages_document ON search_messages USING gin (document);
        CREATE INDEX search_messages_by_conversation ON search_messages (conversation_id);
        CREATE TABLE search_conversations (
            conversation_id bigint PRIMARY KEY,
            document tsvector NOT NULL
        );
        CREATE INDEX search_conversations_document ON search_conversations USING gin (document);

        CREATE FUNCTION search_message_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM search_messages WHERE message_id = OLD.id;
            ELSIF TG_OP = 'INSERT' THEN
                IF NEW.direction IN ('inbound', 'outbound', 'note') THEN
                    INSERT INTO search_messages (message_id, conversation_id, created_at, adapter, document)
                    VALUES (NEW.id, NEW.conversation_id, NEW.created_at, NEW.adapter, search_message_document(NEW.body, NEW.metadata));
                END IF;
            ELSIF NEW.body IS DISTINCT FROM OLD.body OR NEW.metadata IS DISTINCT FROM OLD.metadata THEN
                UPDATE search_messages SET conversation_id = NEW.conversation_id, created_at = NEW.created_at, adapter = NEW.adapter,
                    document = search_message_document(NEW.body, NEW.metadata)
                WHERE message_id = NEW.id;
            ELSE
                UPDATE search_messages SET conversation_id = NEW.conversation_id, created_at = NEW.created_at, adapter = NEW.adapter
                WHERE message_id = NEW.id;
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER search_message_added AFTER INSERT OR DELETE ON messages
            FOR EACH ROW EXECUTE FUNCTION search_message_sync();
        CREATE TRIGGER search_message_changed AFTER UPDATE OF body, metadata, conversation_id, created_at, adapter ON messages
            FOR EACH ROW EXECUTE FUNCTION search_message_sync();

        CREATE FUNCTION search_card_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM search_conversations WHERE conversation_id = ANY (ids);
            INSERT INTO search_conversations (conversation_id, document)
            SELECT c.id, to_tsvector('simple'::regconfig, search_fold(concat_ws(' ', cu.name, a.addresses,
                       regexp_replace(coalesce(a.addresses, ''), '[^[:alnum:]]+', ' ', 'g'), t.tags)))
            FROM conversations c
            JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN LATERAL (SELECT string_agg(i.address, ' ') AS addresses FROM identities i WHERE i.customer_id = c.customer_id) a ON true
            LEFT JOIN LATERAL (SELECT string_agg(g.tag, ' ') AS tags FROM conversation_tags g WHERE g.conversation_id = c.id) t ON true
            WHERE c.id = ANY (ids);
        END
        $$;
        CREATE FUNCTION search_card_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'conversations' THEN
                IF TG_OP = 'DELETE' THEN
                    DELETE FROM search_conversations WHERE conversation_id = OLD.id;
                ELSE
                    PERFORM search_card_refresh(ARRAY[NEW.id]);
                END IF;
            ELSIF TG_TABLE_NAME = 'customers' THEN
                PERFORM search_card_refresh(ARRAY(SELECT id FROM conversations WHERE customer_id = NEW.id));
            ELSIF TG_TABLE_NAME = 'identities' THEN
                IF TG_OP = 'INSERT' THEN
                    PERFORM search_card_refresh(ARRAY(SELECT id FROM conversations WHERE customer_id = NEW.customer_id));
                ELSIF TG_OP = 'DELETE' THEN
                    PERFORM search_card_refresh(ARRAY(SELECT id FROM conversations WHERE customer_id = OLD.customer_id));
                ELSE
                    PERFORM search_card_refresh(ARRAY(SELECT id FROM conversations WHERE customer_id IN (OLD.customer_id, NEW.customer_id)));
                END IF;
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM search_card_refresh(ARRAY[OLD.conversation_id]);
            ELSE
                PERFORM search_card_refresh(ARRAY[NEW.conversation_id]);
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER search_card_conversation AFTER INSERT OR DELETE OR UPDATE OF customer_id ON conversations
            FOR EACH ROW EXECUTE FUNCTION search_card_sync();
        CREATE TRIGGER search_card_customer AFTER UPDATE OF name ON customers
            FOR EACH ROW EXECUTE FUNCTION search_card_sync();
        CREATE TRIGGER search_card_identity AFTER INSERT OR DELETE OR UPDATE OF customer_id, address ON identities
            FOR EACH ROW EXECUTE FUNCTION search_card_sync();
        CREATE TRIGGER search_card_tag AFTER INSERT OR DELETE ON conversation_tags
            FOR EACH ROW EXECUTE FUNCTION search_card_sync();

        INSERT INTO search_messages (message_id, conversation_id, created_at, adapter, document)
            SELECT id, conversation_id, created_at, adapter, search_message_document(body, metadata)
            FROM messages WHERE direction IN ('inbound', 'outbound', 'note');
        SELECT search_card_refresh(ARRAY(SELECT id FROM conversations))
        """
    )

    /// Migration 021: a multi-row INSERT into `messages` (an ingest group's buffered messages, an
    /// import) indexes its rows with one statement over its transition table, instead of one PL/pgSQL
    /// call and one INSERT per row (about a tenth of the backend's time per ingested message). Deletes
    /// and updates stay per row: rare, and a transition table cannot go with `UPDATE OF` columns. The
    /// rows are indexed at the end of the statement, as the row triggers did (AFTER triggers).
    static let statementTriggers: (version: String, sql: String) = (
        "021-search-statement-triggers",
        """
        CREATE FUNCTION search_messages_added() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_messages (message_id, conversation_id, created_at, adapter, document)
            SELECT id, conversation_id, created_at, adapter, search_message_document(body, metadata)
            FROM added WHERE direction IN ('inbound', 'outbound', 'note');
            RETURN NULL;
        END
        $$;
        DROP TRIGGER search_message_added ON messages;
        CREATE TRIGGER search_message_added AFTER INSERT ON messages REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION search_messages_added();
        CREATE TRIGGER search_message_removed AFTER DELETE ON messages
            FOR EACH ROW EXECUTE FUNCTION search_message_sync()
        """
    )

    /// Migration 023: a conversation's card is built once per ingest group, not twice per new customer.
    /// A new customer used to refresh it from both row triggers (the identity's, finding no
    /// conversation yet, and the conversation's), about 0.2 ms each: over half of PostgreSQL's time per
    /// message when every message was a new customer's. While `switchboard.cards_deferred` is `on`
    /// (set for its own transaction by an ingest group, ``PostgresStore/cardsDeferred``) the INSERT
    /// triggers stand aside, and the group refreshes the cards of the conversations it created in one
    /// call before it commits. Every other writer (replies, merges, linking, import, `psql`) leaves the
    /// setting alone and keeps the per-row triggers; deletes and updates never stand aside.
    ///
    /// `search_card_refresh` is rewritten to start from its ids (`unnest`) and reach each row by key, so
    /// that no plan of it (a function's plans are cached per connection, often made while the tables
    /// were still small) reads the conversations by a scan. Same card, same rows.
    static let cardsPerGroup: (version: String, sql: String) = (
        "023-search-cards-per-group",
        """
        CREATE OR REPLACE FUNCTION search_card_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM search_conversations WHERE conversation_id = ANY (ids);
            INSERT INTO search_conversations (conversation_id, document)
            SELECT c.id, to_tsvector('simple'::regconfig, search_fold(concat_ws(' ', c.name, a.addresses,
                       regexp_replace(coalesce(a.addresses, ''), '[^[:alnum:]]+', ' ', 'g'), t.tags)))
            FROM (SELECT DISTINCT id FROM unnest(ids) AS u(id)) AS k
            CROSS JOIN LATERAL (
                SELECT c.id, c.customer_id, cu.name FROM conversations c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = k.id
            ) c
            LEFT JOIN LATERAL (SELECT string_agg(i.address, ' ') AS addresses FROM identities i WHERE i.customer_id = c.customer_id) a ON true
            LEFT JOIN LATERAL (SELECT string_agg(g.tag, ' ') AS tags FROM conversation_tags g WHERE g.conversation_id = c.id) t ON true;
        END
        $$;
        DROP TRIGGER search_card_conversation ON conversations;
        CREATE TRIGGER search_card_conversation AFTER DELETE OR UPDATE OF customer_id ON conversations
            FOR EACH ROW EXECUTE FUNCTION search_card_sync();
        CREATE TRIGGER search_card_conversation_added AFTER INSERT ON conversations
            FOR EACH ROW WHEN (current_setting('switchboard.cards_deferred', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION search_card_sync();
        DROP TRIGGER search_card_identity ON identities;
        CREATE TRIGGER search_card_identity AFTER DELETE OR UPDATE OF customer_id, address ON identities
            FOR EACH ROW EXECUTE FUNCTION search_card_sync();
        CREATE TRIGGER search_card_identity_added AFTER INSERT ON identities
            FOR EACH ROW WHEN (current_setting('switchboard.cards_deferred', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION search_card_sync()
        """
    )

    /// Migration 026: who holds a message's conversation (owner and assignee), kept on its index row
    /// and in the same GIN index as its words, so an agent's search reads only the matches they may
    /// see. With the words alone, a common word's matches were all read and joined to their
    /// conversation to keep an agent's twentieth: an agent's relevance window (their 500 newest
    /// matches) took 0.7 s at 10 M messages. A multi-column GIN index serves a condition on any of
    /// its columns, so supervisors' searches use the same index (one index to keep, not two).
    ///
    /// `holders` follows the conversation: set from it when a message is indexed or moves (merge,
    /// unmerge), and rewritten for its messages when the conversation changes hands. The read still
    /// checks the conversation itself; `holders` only narrows what is read. Mention grants are a
    /// separate, small path (the grants' conversations, by conversation).
    static let holders: (version: String, sql: String) = (
        "026-search-holders",
        """
        CREATE FUNCTION search_holders(owner text, assignee text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN owner IS NULL AND assignee IS NULL THEN '{}'::text[]
                        WHEN owner IS NULL OR assignee IS NULL OR owner = assignee THEN ARRAY[coalesce(owner, assignee)]
                        ELSE ARRAY[owner, assignee] END
        $$;
        CREATE FUNCTION search_holders_of(conversation bigint) RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT coalesce((SELECT search_holders(c.owner, c.assignee) FROM conversations c WHERE c.id = conversation), '{}')
        $$;
        ALTER TABLE search_messages ADD COLUMN holders text[] NOT NULL DEFAULT '{}';
        UPDATE search_messages s SET holders = search_holders(c.owner, c.assignee)
            FROM conversations c WHERE c.id = s.conversation_id AND (c.owner IS NOT NULL OR c.assignee IS NOT NULL);
        DROP INDEX search_messages_document;
        CREATE INDEX search_messages_document ON search_messages USING gin (document, holders);
        CREATE INDEX conversation_grants_by_agent ON conversation_grants (agent_id, conversation_id);

        CREATE OR REPLACE FUNCTION search_messages_added() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_messages (message_id, conversation_id, created_at, adapter, document, holders)
            SELECT a.id, a.conversation_id, a.created_at, a.adapter, search_message_document(a.body, a.metadata),
                   search_holders_of(a.conversation_id)
            FROM added a WHERE a.direction IN ('inbound', 'outbound', 'note');
            RETURN NULL;
        END
        $$;
        CREATE FUNCTION search_message_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE search_messages SET holders = search_holders_of(NEW.conversation_id)
            WHERE message_id = NEW.id;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER search_message_moved AFTER UPDATE OF conversation_id ON messages
            FOR EACH ROW WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id) EXECUTE FUNCTION search_message_moved();
        CREATE FUNCTION search_holders_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE search_messages SET holders = search_holders(NEW.owner, NEW.assignee) WHERE conversation_id = NEW.id;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER search_holders_changed AFTER UPDATE OF owner, assignee ON conversations
            FOR EACH ROW WHEN (OLD.owner IS DISTINCT FROM NEW.owner OR OLD.assignee IS DISTINCT FROM NEW.assignee)
            EXECUTE FUNCTION search_holders_sync()
        """
    )

    /// Migration 028: an ingest group's messages get their words, and its new conversations their
    /// cards, at the group's flush, not in the group. The group's transaction is the gateway's one
    /// lane of writes; the flush (the durable commit its channels' answers wait for,
    /// ``PostgresStore/syncCommitted()``) runs beside the next group. Parsing a message twice
    /// (English, Spanish) and writing its words into the GIN index was a fifth of a group of returning
    /// customers' time in PostgreSQL; building new customers' cards, a statement of its own.
    ///
    /// While `switchboard.search_deferred` is `on` (set by an ingest group for its own transaction when
    /// a flush follows), the statement triggers write each message's index row with its conversation,
    /// time, channel and holders, and each new conversation's card row, with `document` NULL; the flush
    /// fills in every NULL document, so a message and a new customer are searchable when the channel
    /// gets the 2xx, as before. A gateway that stopped between the two leaves rows the next flush (or
    /// the next start) fills in. Every other writer indexes in its own statement as before. The rows
    /// exist from the start, so whatever changes them meanwhile (an edit, a move, new holders, a tag,
    /// an erasure) works on them as ever: the flush locks the rows it fills, in key order, and one that
    /// got its document some other way is no longer NULL, or no longer there, when it gets the lock.
    ///
    /// A conversation's card is now written in one place, `search_card_document`, which the refresh
    /// of the triggers and the flush both use.
    static let documentsAtFlush: (version: String, sql: String) = (
        "028-search-documents-at-flush",
        """
        ALTER TABLE search_messages ALTER COLUMN document DROP NOT NULL;
        CREATE INDEX search_messages_unwritten ON search_messages (message_id) WHERE document IS NULL;
        ALTER TABLE search_conversations ALTER COLUMN document DROP NOT NULL;
        CREATE INDEX search_conversations_unwritten ON search_conversations (conversation_id) WHERE document IS NULL;
        CREATE OR REPLACE FUNCTION search_messages_added() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            later boolean := coalesce(current_setting('switchboard.search_deferred', true) = 'on', false);
        BEGIN
            INSERT INTO search_messages (message_id, conversation_id, created_at, adapter, document, holders)
            SELECT a.id, a.conversation_id, a.created_at, a.adapter,
                   CASE WHEN later THEN NULL ELSE search_message_document(a.body, a.metadata) END, search_holders_of(a.conversation_id)
            FROM added a WHERE a.direction IN ('inbound', 'outbound', 'note');
            RETURN NULL;
        END
        $$;
        CREATE FUNCTION search_card_document(conversation bigint) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT to_tsvector('simple'::regconfig, search_fold(concat_ws(' ', cu.name, a.addresses,
                       regexp_replace(coalesce(a.addresses, ''), '[^[:alnum:]]+', ' ', 'g'), t.tags)))
            FROM conversations c
            JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN LATERAL (SELECT string_agg(i.address, ' ') AS addresses FROM identities i WHERE i.customer_id = c.customer_id) a ON true
            LEFT JOIN LATERAL (SELECT string_agg(g.tag, ' ') AS tags FROM conversation_tags g WHERE g.conversation_id = c.id) t ON true
            WHERE c.id = conversation
        $$;
        CREATE OR REPLACE FUNCTION search_card_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM search_conversations WHERE conversation_id = ANY (ids);
            INSERT INTO search_conversations (conversation_id, document)
            SELECT c.id, search_card_document(c.id)
            FROM (SELECT DISTINCT id FROM unnest(ids) AS u(id)) AS k
            CROSS JOIN LATERAL (SELECT id FROM conversations WHERE id = k.id) c;
        END
        $$;
        CREATE FUNCTION search_cards_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_conversations (conversation_id, document) SELECT a.id, NULL FROM added a;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER search_cards_waiting AFTER INSERT ON conversations REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT WHEN (current_setting('switchboard.search_deferred', true) = 'on')
            EXECUTE FUNCTION search_cards_waiting()
        """
    )

    /// Migration 029: the functions that build search documents and holders, called once per row by
    /// the flush and the triggers, in PL/pgSQL instead of SQL. A SQL function that cannot be inlined
    /// (these read tables, or name a value twice) is planned again at every statement that calls it,
    /// once per flush: 0.1–0.4 ms each (`pg_stat_statements` with `track_planning`), about a tenth of
    /// PostgreSQL's time per message for returning customers. PL/pgSQL keeps its plans for the
    /// connection. Same results: the bodies are the same expressions.
    static let cachedPlans: (version: String, sql: String) = (
        "029-search-functions-cached-plans",
        """
        CREATE OR REPLACE FUNCTION search_message_document(body text, metadata text) RETURNS tsvector
            LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        DECLARE
            f text := search_fold(concat_ws(' ', search_subject(metadata), body));
        BEGIN
            RETURN to_tsvector('english'::regconfig, f) || to_tsvector('spanish'::regconfig, f);
        END
        $$;
        CREATE OR REPLACE FUNCTION search_holders_of(conversation bigint) RETURNS text[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        BEGIN
            RETURN coalesce((SELECT search_holders(c.owner, c.assignee) FROM conversations c WHERE c.id = conversation), '{}');
        END
        $$;
        CREATE OR REPLACE FUNCTION search_card_document(conversation bigint) RETURNS tsvector LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        BEGIN
            RETURN (
                SELECT to_tsvector('simple'::regconfig, search_fold(concat_ws(' ', cu.name, a.addresses,
                           regexp_replace(coalesce(a.addresses, ''), '[^[:alnum:]]+', ' ', 'g'), t.tags)))
                FROM conversations c
                JOIN customers cu ON cu.id = c.customer_id
                LEFT JOIN LATERAL (SELECT string_agg(i.address, ' ') AS addresses FROM identities i WHERE i.customer_id = c.customer_id) a ON true
                LEFT JOIN LATERAL (SELECT string_agg(g.tag, ' ') AS tags FROM conversation_tags g WHERE g.conversation_id = c.id) t ON true
                WHERE c.id = conversation);
        END
        $$
        """
    )

    /// The letters `search_fold` maps (migration 005), and what to: `translate`'s two arguments.
    static let foldedLetters = "ÁÀÂÄÃÅáàâäãåÉÈÊËéèêëÍÌÎÏíìîïÓÒÔÖÕØóòôöõøÚÙÛÜúùûüÑñÇçÝýÿ"
    static let foldedTo = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuNnCcYyy"

    /// Migration 031: `search_fold` skips its `translate` when the text has no letter outside ASCII,
    /// which every letter it maps is. `translate` compares each character with each of the 55 it
    /// maps: 15 µs for a 40-character message, most of the 35 µs its search document took (10,000
    /// messages in `psql`; 21 µs now; text with accents as before, 82 µs for 92 characters). The
    /// same result for any text, in any server encoding: the test is on the characters, not on
    /// the byte count (`PostgresSearchFoldTests` compares it with the expression it replaces).
    static let foldSkipsASCII: (version: String, sql: String) = (
        "031-search-fold-skips-ascii",
        """
        CREATE OR REPLACE FUNCTION search_fold(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        BEGIN
            IF t !~ '[^[:ascii:]]' THEN
                RETURN lower(t);
            END IF;
            RETURN lower(translate(t, '\(foldedLetters)', '\(foldedTo)'));
        END
        $$
        """
    )

    /// The flush's work (migration 028), as data-modifying `WITH` queries to put before the flush's own
    /// statement: the messages waiting for their words get them, the conversations waiting for their
    /// cards get them — those whose ids the placeholders hold (`bigint[]`), or, with nil (at start),
    /// every one.
    static func writeDocuments(of ids: (messages: String, conversations: String)?) -> String {
        let messages = ids.map { "message_id = ANY(\($0.messages)::bigint[]) AND " } ?? ""
        let conversations = ids.map { "conversation_id = ANY(\($0.conversations)::bigint[]) AND " } ?? ""
        return """
            WITH waiting AS (
                SELECT message_id FROM search_messages WHERE \(messages)document IS NULL ORDER BY message_id FOR UPDATE
            ), written AS (
                UPDATE search_messages s SET document = search_message_document(m.body, m.metadata)
                FROM waiting w JOIN messages m ON m.id = w.message_id
                WHERE s.message_id = w.message_id
            ), cards AS (
                SELECT conversation_id FROM search_conversations WHERE \(conversations)document IS NULL ORDER BY conversation_id FOR UPDATE
            ), carded AS (
                UPDATE search_conversations s SET document = search_card_document(s.conversation_id)
                FROM cards k WHERE s.conversation_id = k.conversation_id
            )
            """
    }

    /// Search rows an ingest group left for its flush (their ids).
    struct Waiting: Sendable {
        var messages: [Int64] = []
        var conversations: [Int64] = []

        var isEmpty: Bool { messages.isEmpty && conversations.isEmpty }

        mutating func add(_ other: Waiting) {
            messages += other.messages
            conversations += other.conversations
        }
    }
}
