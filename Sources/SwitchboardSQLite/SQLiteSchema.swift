import GRDB

/// The schema, as numbered migrations. Never edit a shipped migration: add the next one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE agents (
                        id TEXT PRIMARY KEY,
                        status TEXT NOT NULL DEFAULT 'available',
                        open_assigned INTEGER NOT NULL DEFAULT 0,
                        assign_seq INTEGER NOT NULL DEFAULT 0,
                        configured INTEGER NOT NULL DEFAULT 1
                    );
                    CREATE TABLE customers (
                        id INTEGER PRIMARY KEY,
                        name TEXT,
                        contacts INTEGER NOT NULL DEFAULT 0,
                        first_contact_at REAL,
                        last_contact_at REAL,
                        created_at REAL NOT NULL
                    );
                    CREATE TABLE identities (
                        id INTEGER PRIMARY KEY,
                        customer_id INTEGER NOT NULL REFERENCES customers(id),
                        channel TEXT NOT NULL,
                        address TEXT NOT NULL,
                        adapter TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        UNIQUE (channel, address)
                    );
                    CREATE INDEX identities_by_customer ON identities(customer_id);
                    CREATE TABLE conversations (
                        id INTEGER PRIMARY KEY,
                        customer_id INTEGER NOT NULL UNIQUE REFERENCES customers(id),
                        status TEXT NOT NULL,
                        owner TEXT,
                        assignee TEXT,
                        team TEXT,
                        escalated INTEGER NOT NULL DEFAULT 0,
                        first_response_due REAL,
                        last_message_at REAL NOT NULL,
                        created_at REAL NOT NULL,
                        resolved_at REAL
                    );
                    CREATE INDEX conversations_by_assignee ON conversations(assignee, status, last_message_at);
                    CREATE INDEX conversations_by_owner ON conversations(owner, status, last_message_at);
                    CREATE INDEX conversations_by_status ON conversations(status, last_message_at);
                    CREATE TABLE messages (
                        id INTEGER PRIMARY KEY,
                        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
                        direction TEXT NOT NULL,
                        adapter TEXT,
                        channel TEXT,
                        address TEXT,
                        thread_ref TEXT,
                        external_id TEXT,
                        in_reply_to INTEGER,
                        body TEXT NOT NULL,
                        author TEXT,
                        metadata TEXT,
                        sent_at REAL,
                        created_at REAL NOT NULL,
                        delivery_state TEXT,
                        delivery_attempts INTEGER,
                        delivery_error TEXT
                    );
                    CREATE UNIQUE INDEX messages_inbound_external ON messages(adapter, external_id) WHERE direction = 'inbound';
                    CREATE INDEX messages_outbound_external ON messages(adapter, external_id) WHERE direction = 'outbound';
                    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
                    CREATE TABLE outbox (
                        message_id INTEGER PRIMARY KEY REFERENCES messages(id),
                        adapter TEXT NOT NULL,
                        in_reply_to_external TEXT,
                        next_attempt_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        claimed_by TEXT,
                        lease_until REAL
                    );
                    CREATE INDEX outbox_due ON outbox(next_attempt_at);
                    """)
        }
        migrator.registerMigration("002-attachments-and-edits") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN attachments TEXT;
                    ALTER TABLE messages ADD COLUMN edited_at REAL;
                    ALTER TABLE messages ADD COLUMN original_body TEXT;
                    """)
        }
        migrator.registerMigration("003-promises") { db in
            // awaiting_since: the oldest unanswered customer message; the SLA clock and the
            // reassignment timer run from it, and a reply clears it.
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN awaiting_since REAL;
                    ALTER TABLE conversations ADD COLUMN sla_warn_at REAL;
                    ALTER TABLE conversations ADD COLUMN sla_warned INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE conversations ADD COLUMN sla_breached INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE conversations ADD COLUMN reassigned_at REAL;
                    CREATE INDEX conversations_due ON conversations(first_response_due) WHERE status = 'open';
                    CREATE INDEX conversations_warn ON conversations(sla_warn_at) WHERE status = 'open';
                    CREATE INDEX conversations_awaiting ON conversations(awaiting_since) WHERE status = 'open';
                    """)
        }
        migrator.registerMigration("004-early-statuses-and-quotes") { db in
            // A platform may report a delivery before its send call has even returned the id;
            // such reports wait here and are applied when the id is recorded.
            try db.execute(
                sql: """
                    CREATE TABLE early_statuses (
                        adapter TEXT NOT NULL,
                        external_id TEXT NOT NULL,
                        state TEXT NOT NULL,
                        error TEXT,
                        received_at REAL NOT NULL,
                        PRIMARY KEY (adapter, external_id, state)
                    );
                    ALTER TABLE outbox ADD COLUMN quoted INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("005-tags-and-suggestions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE conversation_tags (
                        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
                        tag TEXT NOT NULL,
                        added_by TEXT,
                        added_at REAL NOT NULL,
                        PRIMARY KEY (conversation_id, tag)
                    );
                    CREATE INDEX conversation_tags_by_tag ON conversation_tags(tag);
                    CREATE TABLE suggestions (
                        id INTEGER PRIMARY KEY,
                        author TEXT NOT NULL,
                        body TEXT NOT NULL,
                        conversation_id INTEGER REFERENCES conversations(id),
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX conversations_escalated ON conversations(escalated) WHERE status = 'open';
                    """)
        }
        migrator.registerMigration("006-customers-callbacks-acknowledgements") { db in
            // merges + merge_moves record exactly what a merge moved, so undoing it puts back
            // those rows (and what arrived since through the moved identities), even after later merges.
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN callback_due REAL;
                    ALTER TABLE conversations ADD COLUMN last_ack_at REAL;
                    ALTER TABLE conversations ADD COLUMN merged_into INTEGER;
                    ALTER TABLE customers ADD COLUMN merged_into INTEGER;
                    ALTER TABLE messages ADD COLUMN identity_id INTEGER;
                    ALTER TABLE outbox ADD COLUMN purpose TEXT NOT NULL DEFAULT 'reply';
                    CREATE UNIQUE INDEX messages_event_external ON messages(adapter, external_id)
                        WHERE direction = 'event' AND external_id IS NOT NULL;
                    CREATE INDEX conversations_callbacks ON conversations(callback_due) WHERE callback_due IS NOT NULL;
                    CREATE INDEX identities_by_address ON identities(address);
                    CREATE INDEX customers_by_name ON customers(name COLLATE NOCASE);
                    CREATE TABLE merges (
                        id INTEGER PRIMARY KEY,
                        survivor INTEGER NOT NULL REFERENCES customers(id),
                        absorbed INTEGER NOT NULL REFERENCES customers(id),
                        survivor_conversation INTEGER NOT NULL,
                        absorbed_conversation INTEGER NOT NULL,
                        survivor_state TEXT NOT NULL,
                        absorbed_state TEXT NOT NULL,
                        last_message_id INTEGER NOT NULL,
                        merged_by TEXT NOT NULL,
                        merged_at REAL NOT NULL,
                        undone_by TEXT,
                        undone_at REAL
                    );
                    CREATE INDEX merges_by_survivor ON merges(survivor, undone_at);
                    CREATE TABLE merge_moves (
                        merge_id INTEGER NOT NULL REFERENCES merges(id),
                        kind TEXT NOT NULL,
                        item_id INTEGER NOT NULL,
                        PRIMARY KEY (merge_id, kind, item_id)
                    );
                    """)
        }
        migrator.registerMigration("008-next-response-resolution-pending") { db in
            // answered_at: the first reply; later customer messages run the next-response clock.
            // resolution_left: what a pending conversation still had of its resolution promise.
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN answered_at REAL;
                    ALTER TABLE conversations ADD COLUMN resolution_due REAL;
                    ALTER TABLE conversations ADD COLUMN resolution_breached INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE conversations ADD COLUMN resolution_left REAL;
                    CREATE INDEX conversations_resolution_due ON conversations(resolution_due) WHERE status = 'open';
                    """)
        }
        migrator.registerMigration("007-console-sessions") { db in
            // Only hashes are stored: the PBKDF2 hash of each console password and the SHA-256 of
            // each session cookie, so the database alone signs nobody in.
            try db.execute(
                sql: """
                    CREATE TABLE agent_passwords (
                        agent_id TEXT PRIMARY KEY,
                        hash BLOB NOT NULL,
                        salt BLOB NOT NULL,
                        iterations INTEGER NOT NULL,
                        failures INTEGER NOT NULL DEFAULT 0,
                        last_failure_at REAL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE console_sessions (
                        token_hash BLOB PRIMARY KEY,
                        agent_id TEXT NOT NULL,
                        csrf_token TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        last_seen_at REAL NOT NULL
                    );
                    CREATE INDEX console_sessions_by_last_seen ON console_sessions(last_seen_at);
                    """)
        }
        migrator.registerMigration("009-attachment-contents") { db in
            // Attachment bytes by content: the message's attachment JSON names its sha256, so the
            // same file sent again (a signature logo, a re-sent invoice) is stored once.
            try db.execute(
                sql: """
                    CREATE TABLE attachment_contents (
                        sha256 TEXT PRIMARY KEY,
                        size INTEGER NOT NULL,
                        content BLOB NOT NULL,
                        created_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("010-gateway-secrets") { db in
            // The gateway's own key (see GatewayKey): made once, shared by every restart, carried by
            // export and import so references and reply ids stay valid on the new database.
            try db.execute(
                sql: """
                    CREATE TABLE gateway_secrets (
                        name TEXT PRIMARY KEY,
                        value BLOB NOT NULL,
                        created_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("011-console-session-token-fingerprint") { db in
            // A session opened with an API token remembers a keyed hash of it and ends when the
            // agent's token changes. Sessions from before cannot tell how they were opened, so
            // they end now: everyone signs in once more.
            try db.execute(
                sql: """
                    ALTER TABLE console_sessions ADD COLUMN token_fingerprint BLOB;
                    DELETE FROM console_sessions;
                    """)
        }
        SQLiteSearchSchema.register(&migrator)
        SQLiteStore.registerCannedResponses(&migrator)
        SQLiteStore.registerMentions(&migrator)
        migrator.registerMigration("015-priority-and-sla-policy") { db in
            // priority: low, normal, high, urgent. sla_policy/sla_reason: the SLA policy the clocks
            // run under and why (NULL: chosen at the customer's next message; the default clocks).
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
                    ALTER TABLE conversations ADD COLUMN sla_policy TEXT;
                    ALTER TABLE conversations ADD COLUMN sla_reason TEXT;
                    """)
        }
        migrator.registerMigration("016-automation-queue-and-rule-firings") { db in
            // automation_queue: events for the rules ('rules') and each webhook endpoint
            // ('webhook:<id>'), taken oldest first per (consumer, conversation) under a lease;
            // 'delivered' rows are pruned after a while, 'failed' ones stay as dead letters.
            // rule_firings: one row per rule action on a conversation (idempotency and the
            // per-conversation limit).
            try db.execute(
                sql: """
                    CREATE TABLE automation_queue (
                        id INTEGER PRIMARY KEY,
                        consumer TEXT NOT NULL,
                        conversation_id INTEGER NOT NULL,
                        event_type TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        cause TEXT,
                        state TEXT NOT NULL DEFAULT 'queued',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        claimed_by TEXT,
                        lease_until REAL,
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        done_at REAL
                    );
                    CREATE INDEX automation_queue_due ON automation_queue(consumer, next_attempt_at) WHERE state = 'queued';
                    CREATE INDEX automation_queue_order ON automation_queue(consumer, conversation_id, id) WHERE state = 'queued';
                    CREATE INDEX automation_queue_by_state ON automation_queue(consumer, state, id);
                    CREATE TABLE rule_firings (
                        rule_id TEXT NOT NULL,
                        conversation_id INTEGER NOT NULL,
                        firing_key TEXT NOT NULL,
                        fired_at REAL NOT NULL,
                        PRIMARY KEY (rule_id, conversation_id, firing_key)
                    );
                    CREATE INDEX rule_firings_recent ON rule_firings(conversation_id, fired_at);
                    CREATE INDEX rule_firings_by_rule ON rule_firings(rule_id, conversation_id, fired_at);
                    CREATE INDEX conversations_active ON conversations(id) WHERE status IN ('open', 'pending');
                    """)
        }
        migrator.registerMigration("017-audit-log") { db in
            // The audit trail (see AuditChain): seq is the chain position, each row carries the
            // previous row's hash. `at` is epoch seconds of whole milliseconds (what the hash covers).
            try db.execute(
                sql: """
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY,
                        at REAL NOT NULL,
                        actor TEXT,
                        action TEXT NOT NULL,
                        subject TEXT,
                        source TEXT,
                        details TEXT NOT NULL,
                        prev_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX audit_by_actor ON audit_log(actor, seq);
                    CREATE INDEX audit_by_action ON audit_log(action, seq);
                    CREATE INDEX audit_by_time ON audit_log(at);
                    """)
        }
        migrator.registerMigration("018-second-factor") { db in
            // TOTP for console password sign-in. last_step: the latest time step a code was accepted
            // for (replays refused). Recovery codes are kept only as hashes, each usable once.
            try db.execute(
                sql: """
                    CREATE TABLE agent_totp (
                        agent_id TEXT PRIMARY KEY,
                        secret TEXT NOT NULL,
                        last_step INTEGER,
                        enrolled_at REAL NOT NULL
                    );
                    CREATE TABLE agent_recovery_codes (
                        agent_id TEXT NOT NULL,
                        code_hash TEXT NOT NULL,
                        used_at REAL,
                        PRIMARY KEY (agent_id, code_hash)
                    );
                    """)
        }
        migrator.registerMigration("019-erasure-and-retention") { db in
            // erased_at: the customer was erased (name and identities gone, conversations kept as
            // anonymous records). redacted_at: erasure or retention removed the message's content.
            // refs: how many attachments refer to a stored content, so the content goes with the
            // last of them (counted from the messages once, here).
            try db.execute(
                sql: """
                    ALTER TABLE customers ADD COLUMN erased_at REAL;
                    ALTER TABLE messages ADD COLUMN redacted_at REAL;
                    ALTER TABLE attachment_contents ADD COLUMN refs INTEGER NOT NULL DEFAULT 0;
                    WITH counted AS MATERIALIZED (
                        SELECT json_extract(a.value, '$.sha256') AS sha256, COUNT(*) AS n
                        FROM messages m, json_each(m.attachments) a
                        WHERE m.attachments IS NOT NULL AND json_extract(a.value, '$.stored') = 1
                        GROUP BY 1)
                    UPDATE attachment_contents SET refs = (SELECT n FROM counted WHERE counted.sha256 = attachment_contents.sha256)
                    WHERE sha256 IN (SELECT sha256 FROM counted);
                    CREATE INDEX messages_unredacted ON messages(adapter, created_at) WHERE redacted_at IS NULL;
                    CREATE INDEX messages_stored_attachments ON messages(created_at) WHERE attachments LIKE '%"stored":true%';
                    """)
        }
        migrator.registerMigration("020-mailbox-positions") { db in
            // How far each mailbox an adapter reads over IMAP has been read: its UIDVALIDITY and
            // the highest UID stored, so neither a restart nor an outage skips or repeats mail.
            try db.execute(
                sql: """
                    CREATE TABLE mailbox_positions (
                        adapter_id TEXT NOT NULL,
                        mailbox TEXT NOT NULL,
                        uid_validity INTEGER NOT NULL,
                        last_uid INTEGER NOT NULL,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (adapter_id, mailbox)
                    );
                    """)
        }
        migrator.registerMigration("021-uploads") { db in
            // Files agents uploaded to send: their bytes are in attachment_contents (one reference
            // each), pruned a day after upload. media_ids: the platform's id for each file of a
            // queued reply that an attempt uploaded ({"0": "…"}), so a retry does not upload it again.
            try db.execute(
                sql: """
                    CREATE TABLE uploads (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        uploader TEXT NOT NULL,
                        file_name TEXT NOT NULL,
                        mime_type TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX uploads_created ON uploads(created_at);
                    ALTER TABLE outbox ADD COLUMN media_ids TEXT;
                    """)
        }
        migrator.registerMigration("022-conversation-participants") { db in
            // The people a conversation's customer wrote with (their colleagues in To/Cc): a reply
            // copies them, and when one of them writes into the thread, the mail joins it.
            try db.execute(
                sql: """
                    CREATE TABLE conversation_participants (
                        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
                        channel TEXT NOT NULL,
                        address TEXT NOT NULL,
                        added_at REAL NOT NULL,
                        PRIMARY KEY (conversation_id, channel, address)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("023-messages-thread-order") { db in
            // The conversation view pages a thread in its order (created_at, id), newest first:
            // a range scan of this index instead of reading and sorting the whole thread.
            try db.execute(sql: "CREATE INDEX messages_thread_order ON messages(conversation_id, created_at, id);")
        }
        migrator.registerMigration("024-adapter-values") { db in
            // Small values adapters keep across restarts (a rotated OAuth2 refresh token).
            try db.execute(
                sql: """
                    CREATE TABLE adapter_values (
                        adapter_id TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (adapter_id, key)
                    );
                    """)
        }
        migrator.registerMigration("025-media-fetches") { db in
            // Inbound media a platform only names, waiting to be fetched: one job per message,
            // written with the message, retried with backoff until its attachments are settled.
            try db.execute(
                sql: """
                    CREATE TABLE media_fetches (
                        message_id INTEGER PRIMARY KEY,
                        adapter TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        due_at REAL NOT NULL,
                        last_error TEXT
                    );
                    CREATE INDEX media_fetches_due ON media_fetches(due_at);
                    """)
        }
        SQLiteSearchSchema.registerDeferral(&migrator)
        migrator.registerMigration("027-contact-counts") { db in
            // What the customer card shows per channel (inbound messages that are not automated
            // replies, by adapter), counted as messages are stored instead of read from the whole
            // thread at every view. Kept by triggers, so every path that writes messages (ingest,
            // replies, merges and their undoing, erasure, retention, import) keeps it right.
            try db.execute(sql: SQLiteContactCounts.schema)
        }
        migrator.registerMigration("028-customer-trigrams") { db in
            // Customer search looks for a part of a name or an address anywhere in it: a trigram
            // index finds the few customers that may hold it instead of reading every customer.
            try db.execute(sql: SQLiteCustomerTrigrams.schema)
        }
        migrator.registerMigration("029-agents-promises") { db in
            // An agent's inbox leads with their earliest first-response promises. Read from
            // conversations_due, the walk passed every earlier promise of other agents and of the
            // unassigned queue first: under a backlog (a soak's 5,000 new conversations a minute
            // beyond the agents' capacity) it grew with the queue. Per agent, it reads the page only.
            try db.execute(
                sql: """
                    CREATE INDEX conversations_due_by_assignee ON conversations(assignee, first_response_due)
                        WHERE status = 'open' AND first_response_due IS NOT NULL;
                    CREATE INDEX conversations_due_by_owner ON conversations(owner, first_response_due)
                        WHERE status = 'open' AND first_response_due IS NOT NULL;
                    """)
        }
        migrator.registerMigration("030-conversations-latest-partial") { db in
            // Every stored message moves its conversation's last_message_at, and each index holding
            // that column moved its entry: three deletes and three inserts on pages all over the
            // index, in the writer, for every message. The inbox reads the latest activity only of
            // open conversations without a first-response promise (those with one are read by their
            // due time): indexes holding just those make a message to a conversation that awaits an
            // answer (most of them) touch none, and the lookups by holder and status keep indexes
            // without the clock, which a message does not change.
            try db.execute(
                sql: """
                    DROP INDEX conversations_by_assignee;
                    DROP INDEX conversations_by_owner;
                    DROP INDEX conversations_by_status;
                    CREATE INDEX conversations_by_assignee ON conversations(assignee, status);
                    CREATE INDEX conversations_by_owner ON conversations(owner, status);
                    CREATE INDEX conversations_by_status ON conversations(status);
                    CREATE INDEX conversations_latest ON conversations(last_message_at)
                        WHERE status = 'open' AND first_response_due IS NULL;
                    CREATE INDEX conversations_latest_by_assignee ON conversations(assignee, last_message_at)
                        WHERE status = 'open' AND first_response_due IS NULL;
                    CREATE INDEX conversations_latest_by_owner ON conversations(owner, last_message_at)
                        WHERE status = 'open' AND first_response_due IS NULL;
                    """)
        }
        migrator.registerMigration("031-messages-one-conversation-index") { db in
            // A conversation's messages were indexed twice, by id and in the thread's order
            // (messages_thread_order, 023): two entries on two random pages for every message stored.
            // Every reader of a conversation's messages now goes by the thread's order (the latest
            // inbound message is the latest in the thread), so the first is gone.
            try db.execute(sql: "DROP INDEX messages_by_conversation;")
        }
        migrator.registerMigration("032-search-messages-by-message-only") { db in
            // search_messages was indexed by conversation for one reader, the erasure's forgetting,
            // which now finds a conversation's rows through messages: one random page less for every
            // message stored.
            try db.execute(sql: "DROP INDEX search_messages_by_conversation;")
        }
        SQLiteSearchSchema.registerSeparateIndex(&migrator)
        migrator.registerMigration("034-holders-cover-customers") { db in
            // An agent's customer search reads what they hold and keeps the customers that match
            // (``SQLiteCustomerSearch``): with the customer in the holder's indexes that read is
            // the index alone, not a conversation row per conversation held. A conversation's
            // customer never changes after it is written, so the customer moves no entry that the
            // holder and status did not already move; the grants get the index by agent that
            // reading them by agent needs.
            try db.execute(
                sql: """
                    DROP INDEX conversations_by_assignee;
                    DROP INDEX conversations_by_owner;
                    CREATE INDEX conversations_by_assignee ON conversations(assignee, status, customer_id);
                    CREATE INDEX conversations_by_owner ON conversations(owner, status, customer_id);
                    CREATE INDEX conversation_grants_by_agent ON conversation_grants(agent_id, conversation_id);
                    """)
        }
        SQLiteSearchSchema.registerDirectionTest(&migrator)
        return migrator
    }
}
