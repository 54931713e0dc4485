import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Ingestion: for each message, read what the planner needs, let the core decide, write the plan
/// (batched per group: see ``IngestGroup``).
extension PostgresStore {
    public func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        try await ingest(items, policy: policy, flushLater: false).outcomes
    }

    /// Commits with `synchronous_commit = off`: the commit returns (and the agents' rows are free for
    /// the next group) without waiting for the WAL flush, which ``syncCommitted()`` then waits for.
    public func ingestCommittingLater(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        let generation = primaryGeneration
        let group = try await ingest(items, policy: policy, flushLater: true)
        unflushed.withLock { unflushed in
            unflushed.generations.insert(generation)
            unflushed.search.add(.init(messages: group.messages, conversations: group.conversations))
        }
        return group.outcomes
    }

    /// What the groups committed since the last flush leave to it.
    struct Unflushed {
        /// The primary generations they committed on.
        var generations: Set<Int> = []
        /// Their search rows waiting for documents (migration 028).
        var search = PostgresSearchSchema.Waiting()
    }

    /// A durable commit of a transaction that wrote WAL: PostgreSQL flushes the WAL up to its commit
    /// record, which follows every commit made before it — so those are durable too (and, with
    /// synchronous replication, on the standby as well). Each store writes its own slot, so gateways
    /// never wait for each other's row.
    ///
    /// A flush only vouches for commits on its own server: when the pool has followed the primary to
    /// another one since a group committed (a failover), those groups are refused with 503 — what the
    /// old primary had not shipped to the standby is gone, and the channels' retries store it again.
    public func syncCommitted() async throws {
        let (committedOn, search) = unflushed.withLock { unflushed in
            defer { unflushed = Unflushed() }
            return (unflushed.generations, unflushed.search)
        }
        let generation = primaryGeneration
        do {
            try await flush(search)
        } catch {
            // Their rows stay waiting: the next flush fills them (the channels' retries are duplicates).
            unflushed.withLock { $0.search.add(search) }
            // The server keeps what it flushed whatever happened to this connection: a later flush
            // is as good as ever, so only the groups waiting now are refused.
            throw StoreError.unavailable("PostgreSQL: flushing committed messages failed: \(error)")
        }
        if committedOn.contains(where: { $0 != generation }) || primaryGeneration != generation {
            throw StoreError.unavailable("PostgreSQL: the primary changed before these messages were flushed")
        }
    }

    /// One statement, which commits by itself (no BEGIN and COMMIT round trips): the search documents
    /// of what this store's groups stored since (migration 028; only theirs, so the flushes of two
    /// gateways never wait for each other), then this store's row. A deadlock with another writer of
    /// those rows (new holders of a conversation) is tried again; should the documents fail otherwise,
    /// the flush goes without them, logged, rather than hold back every answer (those rows wait for
    /// the next start).
    private func flush(_ search: PostgresSearchSchema.Waiting) async throws {
        var words = !search.isEmpty
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await read { [flushSlot, words] db in
                    var query: PGQuery = ""
                    if words {
                        let messages = query.bind(search.messages)
                        let conversations = query.bind(search.conversations)
                        query.append(sql: PostgresSearchSchema.writeDocuments(of: (messages, conversations)))
                    }
                    query.append(
                        sql: "\nINSERT INTO ingest_flushes (slot, flushed_at) VALUES (\(query.bind(flushSlot)), \(query.bind(Date().epoch)))")
                    query.append(sql: " ON CONFLICT (slot) DO UPDATE SET flushed_at = excluded.flushed_at")
                    try await db.prepared.execute(query)
                }
                return
            } catch {
                // No server answer, or one about the connection or the server itself (a failover):
                // the flush failed, whatever it held.
                guard words, let state = Self.sqlState(error), !Self.unavailableClasses.contains(String(state.prefix(2))) else { throw error }
                if attempt < 4, Self.retryableStates.contains(state) { continue }
                logger.error("flushing without writing the messages' search words", metadata: ["sqlstate": "\(state)"])
                words = false
            }
        }
    }

    /// SQLSTATE classes that say the server or the connection is going, not the statement: connection
    /// exception, invalid transaction state (a standby's read-only), insufficient resources, operator
    /// intervention (a shutdown).
    static let unavailableClasses: Set<String> = ["08", "25", "53", "57"]

    /// A group takes the agents' rows to update only when it routes (see ``IngestGroup/AgentsLock``),
    /// so the groups of returning customers on several gateways run side by side. A group holding
    /// them shared that turns out to route starts again holding them to update (never upgrading a
    /// lock others share, which could deadlock). Each group starts the way the last one ended, so a
    /// run of new customers does not start every group twice.
    private func ingest(_ items: [IngestItem], policy: IngestPolicy, flushLater: Bool) async throws -> GroupWritten {
        let first: IngestGroup.AgentsLock = lastGroupRouted.load(ordering: .relaxed) ? .update : .share
        do {
            let group = try await ingest(items, policy: policy, flushLater: flushLater, agents: first)
            lastGroupRouted.store(group.routed, ordering: .relaxed)
            return group
        } catch is IngestGroup.AgentsNotLocked {
            lastGroupRouted.store(true, ordering: .relaxed)
            return try await ingest(items, policy: policy, flushLater: flushLater, agents: .update)
        }
    }

    /// What a committed group did.
    struct GroupWritten: Sendable {
        var outcomes: [IngestOutcome]
        /// Whether any plan changed a load.
        var routed: Bool
        /// The ids of the messages it stored and of the conversations it created.
        var messages: [Int64]
        var conversations: [Int64]
    }

    private func ingest(
        _ items: [IngestItem], policy: IngestPolicy, flushLater: Bool, agents: IngestGroup.AgentsLock
    ) async throws -> GroupWritten {
        try await write { db in
            // For this transaction only: new conversations' search cards are built at the end, together
            // (migration 023); with flushLater, the commit does not wait for the WAL flush, and the
            // messages' words and new conversations' cards are written by the flush (migration 028).
            var group = try await IngestGroup.prefetch(
                db, items: items, normalizer: policy.normalizer, agents: agents,
                settings: Self.groupSettings + (flushLater ? Self.flushLaterSettings : ""))
            var outcomes: [IngestOutcome] = []
            for item in items {
                switch item.event {
                case .message(let message):
                    outcomes.append(try await Self.ingestMessage(db, item: item, message: message, policy: policy, group: &group))
                case .deliveryStatus(let update):
                    try await group.flush(db)
                    outcomes.append(try await Self.applyDeliveryStatus(db, adapter: item.adapter, update: update))
                case .edit(let message, let editedAt):
                    try await group.flush(db)
                    outcomes.append(try await Self.applyEdit(db, item: item, message: message, editedAt: editedAt, policy: policy, group: &group))
                case .ignored(let reason): outcomes.append(.ignored(reason: reason.code))  // never handed over by the pipeline
                }
            }
            try await group.flush(db)
            // With a flush to follow, the new conversations' cards wait for it (migration 028).
            if !flushLater, !group.newConversations.isEmpty {
                try await db.prepared.execute("SELECT search_card_refresh(\(group.newConversations)::bigint[])")
            }
            // In the same transaction, in one statement: an event is never lost once the channel got its 2xx.
            if let journal = policy.journal { try await Self.enqueue(db, outcomes.flatMap(journal)) }
            return GroupWritten(
                outcomes: outcomes, routed: group.routed, messages: group.messages.handedOut, conversations: group.newConversations)
        }
    }

    /// The setting under which the card triggers of new conversations and identities stand aside.
    static let cardsDeferred = "switchboard.cards_deferred"
    /// What every group sets for its transaction: new conversations' cards wait for its end (migration
    /// 023); its statements run generic plans — made once per connection for any values, as they
    /// were written to (arrays, one index probe per key) — where PostgreSQL would otherwise plan the
    /// larger ones afresh at every call (a custom plan of the group's read took longer to plan than
    /// to run).
    static let groupSettings = "set_config('\(cardsDeferred)', 'on', true), set_config('plan_cache_mode', 'force_generic_plan', true)"
    /// What a group followed by a flush sets for its transaction (see ``syncCommitted()``).
    static let flushLaterSettings = ", set_config('synchronous_commit', 'off', true), set_config('switchboard.search_deferred', 'on', true)"

    static func agentLoads(_ db: PGSession, lock: Bool) async throws -> [String: AgentLoad] {
        try await agentLoads(db, holding: lock ? .update : nil)
    }

    /// The loads, in id order, the rows held as `lock` says (not at all when nil). `settings`, a list of
    /// `set_config(…)` calls (fixed text), are made by the same statement (one round trip fewer for
    /// a group), or by one of their own when no agent is configured.
    static func agentLoads(_ db: PGSession, holding lock: IngestGroup.AgentsLock?, settings: String? = nil) async throws -> [String: AgentLoad] {
        let clause =
            switch lock {
            case .update: "FOR UPDATE"
            case .share: "FOR SHARE"
            case nil: ""
            }
        var loads: [String: AgentLoad] = [:]
        let rows = try await db.prepared.rows(
            """
            SELECT \(unescaped: settings.map { "\($0), " } ?? "")id, status, open_assigned, assign_seq FROM agents WHERE configured = 1
            ORDER BY id \(unescaped: clause)
            """)
        if rows.isEmpty, let settings { try await db.prepared.execute("SELECT \(unescaped: settings)") }
        for row in rows {
            let id: String = try row["id"]
            loads[id] = AgentLoad(
                agentID: id, status: AgentStatus(rawValue: try row["status"]) ?? .offline,
                openAssigned: try row["open_assigned"], lastAssignedSeq: try row["assign_seq"])
        }
        return loads
    }

    static func ingestMessage(
        _ db: PGSession, item: IngestItem, message: InboundMessage, policy: IngestPolicy, group: inout IngestGroup
    ) async throws -> IngestOutcome {
        let snapshot = try await inboundSnapshot(db, item: item, message: message, policy: policy, group: &group)
        return try await apply(db, InboundPlanner.plan(item, message, snapshot, loads: group.loads, policy: policy), item: item, group: &group)
    }

    /// What the planner needs to know about one message, as this transaction sees it.
    static func inboundSnapshot(
        _ db: PGSession, item: IngestItem, message: InboundMessage, policy: IngestPolicy, group: inout IngestGroup
    ) async throws -> InboundSnapshot {
        let identity = policy.normalizer.normalize(message.from)
        var snapshot = InboundSnapshot(identity: identity)
        // Idempotency: the same (adapter, external id) is stored once. A concurrent twin on another
        // gateway fails our INSERT with a unique violation; the group is retried and lands here.
        if let twin = group.storedTwin(adapter: item.adapter, externalID: message.externalID, event: message.kind == .activity) {
            snapshot.duplicate = twin
            return snapshot
        }
        if !message.references.isEmpty {
            try await group.messages.flush(db)
            snapshot.answered = try await answeredMessage(db, adapter: item.adapter, references: message.references)
        }
        snapshot.customer = group.customer(identity)
        if let customer = snapshot.customer { snapshot.conversation = try await group.conversation(db, customer: customer.id) }
        if InboundSnapshot.needsQuotedReference(message, customer: snapshot.customer, answered: snapshot.answered) {
            snapshot.quoted = try await quotedReference(db, message, references: policy.references)
        }
        if InboundSnapshot.needsAnsweredConversation(message, answered: snapshot.answered), let answered = snapshot.answered {
            snapshot.answeredConversation = try await group.conversation(db, id: answered.conversation)
        }
        if let candidate = InboundSnapshot.participantCandidate(message, snapshot),
            try await isParticipant(db, identity, of: candidate.conversation)
        {
            // Locked like the customer's own conversation: the message may change it.
            let joined = try await group.conversation(db, customer: candidate.customer)
            snapshot.participantOf = joined?.id == candidate.conversation ? joined : nil
        }
        return snapshot
    }

    /// Writes what the planner decided (a new customer's rows at the group's end: ``PostgresNewCustomers``).
    static func apply(_ db: PGSession, _ plan: InboundPlan, item: IngestItem, group: inout IngestGroup) async throws -> IngestOutcome {
        switch plan {
        case .duplicate(let ref):
            return .duplicate(ref)
        case .file(let message, let conversation):
            let ids = PlanIDs(customer: conversation.customerID, conversation: conversation.id)
            let record = try await insertPlanned(db, message, ids: ids, identity: nil, earlier: [], buffer: group.messages)
            group.noteStored(
                adapter: item.adapter, externalID: record.externalID ?? "", event: record.direction == .event,
                StoredMessageRef(message: record.id, conversation: conversation.id))
            return .stored(StoredInbound(message: record, conversation: conversation.access, customer: conversation.customerID))
        case .store(let plan):
            let now = plan.at.epoch
            let customerID: Int64
            let identityID: Int64
            var state = plan.conversation
            if let known = plan.customer {
                (customerID, identityID) = (known.id, known.identity)
                if known.name == nil, let name = plan.customerName {
                    if !group.messages.newCustomers.name(known.id, name) {
                        try await db.prepared.execute("UPDATE customers SET name = \(name) WHERE id = \(known.id) AND name IS NULL")
                    }
                    group.noteCustomer(
                        plan.identity, KnownCustomer(id: known.id, identity: known.identity, name: name, lastContactAt: known.lastContactAt))
                }
                state.customerID = customerID
                if plan.newConversation { state.id = try await insertConversation(db, state) }
            } else {
                let ids = try await group.messages.newCustomers.nextIDs(db)
                (customerID, identityID) = (ids.customer, ids.identity)
                group.noteCustomer(plan.identity, KnownCustomer(id: customerID, identity: identityID, name: plan.customerName, lastContactAt: nil))
                state.customerID = customerID
                if plan.newConversation { state.id = ids.conversation }
                group.messages.newCustomers.append(
                    .init(
                        customer: customerID, identity: identityID, name: plan.customerName, channel: plan.identity.channel,
                        address: plan.identity.address, adapter: item.adapter, at: now, conversation: plan.newConversation ? state : nil))
            }
            if plan.newConversation { group.newConversations.append(state.id) }
            group.noteConversation(state, written: plan.newConversation)
            if !plan.loads.isEmpty {
                if !group.agentsLocked { throw IngestGroup.AgentsNotLocked() }
                group.routed = true
            }
            for change in plan.loads { try await applyLoad(db, change, loads: &group.loads) }
            if plan.countsContact { group.countContact(customer: customerID, identity: plan.identity, at: now) }
            let ids = PlanIDs(customer: customerID, conversation: state.id)
            // Their rows refer to the conversation, which may be waiting for the group's end.
            if !plan.participants.isEmpty { try await group.messages.flush(db) }
            try await addParticipants(db, plan.participants, conversation: state.id, at: plan.at)
            var records: [MessageRecord] = []
            for message in plan.messages {
                records.append(try await insertPlanned(db, message, ids: ids, identity: identityID, earlier: records, buffer: group.messages))
            }
            group.noteStored(
                adapter: item.adapter, externalID: records[0].externalID ?? "", event: records[0].direction == .event,
                StoredMessageRef(message: records[0].id, conversation: state.id))
            var assignment = plan.assignment
            assignment?.event = plan.assignmentEvent.map { records[$0] }
            let related = records.indices.dropFirst().filter { $0 != plan.assignmentEvent }.map { records[$0] }
            return .stored(
                StoredInbound(
                    message: records[0], conversation: state.access, customer: customerID, assignment: assignment, related: related,
                    acknowledged: plan.acknowledgement != nil, started: plan.started))
        }
    }

    /// Inserts one message row (or, with `buffer`, queues it for the group's one multi-row INSERT)
    /// and returns it as the API shows it.
    @discardableResult
    static func insertMessage(
        _ db: PGSession, conversationID: Int64, direction: MessageDirection, adapter: String? = nil, channel: String? = nil,
        address: String? = nil, threadRef: String? = nil, externalID: String? = nil, inReplyTo: Int64? = nil,
        body: String, author: String? = nil, metadata: String? = nil, metadataValue: [String: String]? = nil,
        attachments: [Attachment] = [], sentAt: Double? = nil, createdAt: Double, delivery: DeliveryInfo? = nil,
        identityID: Int64? = nil, buffer: PostgresMessageBuffer? = nil
    ) async throws -> MessageRecord {
        let attachments = try await storeAttachmentContents(attachments, db)
        let attachmentsJSON = attachments.isEmpty ? nil : String(decoding: JSONCoding.encode(attachments), as: UTF8.self)
        let id: Int64
        if let buffer {
            id = try await buffer.nextID(db)
            buffer.append(
                .init(
                    id: id, conversationID: conversationID, direction: direction.rawValue, adapter: adapter, channel: channel,
                    address: address, threadRef: threadRef, externalID: externalID, inReplyTo: inReplyTo, body: body, author: author,
                    metadata: metadata, attachments: attachmentsJSON, sentAt: sentAt, createdAt: createdAt,
                    deliveryState: delivery?.state.rawValue, deliveryAttempts: delivery?.attempts, identityID: identityID))
        } else {
            id = try await db.prepared.value(
                """
                INSERT INTO messages (conversation_id, direction, adapter, channel, address, thread_ref, external_id, in_reply_to,
                    body, author, metadata, attachments, sent_at, created_at, delivery_state, delivery_attempts, identity_id)
                VALUES (\(conversationID), \(direction.rawValue), \(adapter), \(channel), \(address), \(threadRef), \(externalID),
                    \(inReplyTo), \(body), \(author), \(metadata), \(attachmentsJSON), \(sentAt), \(createdAt),
                    \(delivery?.state.rawValue), \(delivery?.attempts), \(identityID))
                RETURNING id
                """, as: Int64.self)!
        }
        if direction == .inbound, let adapter, attachments.contains(where: \.isFetching) {
            // No foreign key: with a buffer the message row is written later in this transaction.
            try await enqueueMediaFetch(db, message: id, adapter: adapter, dueAt: createdAt)
        }
        return MessageRecord(
            id: id, conversationID: conversationID, direction: direction, adapter: adapter, channel: channel,
            body: body, createdAt: Date(epoch: createdAt), sentAt: sentAt.map(Date.init(epoch:)), externalID: externalID,
            author: author, inReplyTo: inReplyTo, delivery: delivery, metadata: metadataValue,
            attachments: attachments.isEmpty ? nil : attachments)
    }

    /// An edit replaces the text of the original inbound message and keeps what was first written.
    private static func applyEdit(
        _ db: PGSession, item: IngestItem, message: InboundMessage, editedAt: Date?, policy: IngestPolicy,
        group: inout IngestGroup
    ) async throws -> IngestOutcome {
        guard
            let row = try await db.row(
                """
                SELECT m.id, m.body, c.id AS conversation_id, c.owner, c.assignee, c.team, c.status
                FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.adapter = \(item.adapter) AND m.external_id = \(message.externalID) AND m.direction = 'inbound'
                FOR UPDATE OF m
                """)
        else {
            var stored = message
            stored.metadata["edited"] = "true"
            return try await ingestMessage(db, item: item, message: stored, policy: policy, group: &group)
        }
        let id: Int64 = try row["id"]
        guard (try row["body"] as String) != message.text else {
            return .duplicate(StoredMessageRef(message: id, conversation: try row["conversation_id"]))
        }
        let attachmentsJSON = message.attachments.isEmpty ? nil : String(decoding: JSONCoding.encode(message.attachments), as: UTF8.self)
        try await db.execute(
            """
            UPDATE messages SET original_body = COALESCE(original_body, body), body = \(message.text),
                edited_at = \((editedAt ?? item.receivedAt).epoch), attachments = COALESCE(\(attachmentsJSON), attachments)
            WHERE id = \(id)
            """)
        guard let record = try await messageRecord(db, id: id) else { throw StoreError.missing("message \(id)") }
        return .edited(record, try access(row: row, id: "conversation_id"))
    }

    /// A platform's report on one of our replies. States only move forward.
    private static func applyDeliveryStatus(_ db: PGSession, adapter: String, update: DeliveryStatusUpdate) async throws -> IngestOutcome {
        guard
            let row = try await db.prepared.row(
                """
                SELECT m.id, m.delivery_state, c.id AS conversation_id, c.owner, c.assignee, c.team, c.status
                FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.adapter = \(adapter) AND m.external_id = \(update.externalID) AND m.direction = 'outbound'
                FOR UPDATE OF m
                """)
        else {
            // Possibly a report that outran the send call's answer: keep it for a while.
            let received = Date().epoch
            try await db.execute(
                """
                INSERT INTO early_statuses (adapter, external_id, state, error, received_at)
                VALUES (\(adapter), \(update.externalID), \(update.state.rawValue), \(update.error), \(received))
                ON CONFLICT DO NOTHING
                """)
            try await db.execute("DELETE FROM early_statuses WHERE received_at < \(received - 3600)")
            return .ignored(reason: IgnoreReason.statusForUnknownMessage.code)
        }
        let id: Int64 = try row["id"]
        try await advanceDelivery(db, message: id, current: try row["delivery_state"], to: update.state, error: update.error)
        guard let record = try await messageRecord(db, id: id) else { throw StoreError.missing("message \(id)") }
        return .deliveryUpdated(record, try access(row: row, id: "conversation_id"))
    }

    /// Moves a reply's delivery state forward only; `failed` may follow anything.
    static func advanceDelivery(
        _ db: PGSession, message id: Int64, current: String?, to state: DeliveryStatusUpdate.State, error: String?
    ) async throws {
        let now = DeliveryState(rawValue: current ?? "queued") ?? .queued
        guard let next = now.advanced(by: state) else { return }
        try await db.execute("UPDATE messages SET delivery_state = \(next.rawValue), delivery_error = \(error) WHERE id = \(id)")
    }

    // MARK: - Identifying

    /// Inserts an identity; nil when (channel, address) already belongs to someone (perhaps just now,
    /// by another gateway's transaction, which this statement waited for).
    static func insertIdentity(_ db: PGSession, customer: Int64, identity: ChannelIdentity, adapter: String, at: Double) async throws -> Int64? {
        try await db.prepared.value(
            """
            INSERT INTO identities (customer_id, channel, address, adapter, created_at)
            VALUES (\(customer), \(identity.channel), \(identity.address), \(adapter), \(at))
            ON CONFLICT (channel, address) DO NOTHING RETURNING id
            """, as: Int64.self)
    }

    /// The first stored message of this adapter that `references` names.
    static func answeredMessage(
        _ db: PGSession, adapter: String, references: [String]
    ) async throws -> AnsweredMessage? {
        for reference in references.prefix(20) where !reference.isEmpty {
            for direction in ["inbound", "outbound"] {
                if let row = try await db.prepared.row(
                    """
                    SELECT m.id, m.conversation_id, c.customer_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.adapter = \(adapter) AND m.external_id = \(reference) AND m.direction = \(unescaped: "'\(direction)'") LIMIT 1
                    """)
                {
                    return AnsweredMessage(
                        message: try row["id"], conversation: try row["conversation_id"], customer: try row["customer_id"],
                        ours: direction == "outbound")
                }
            }
        }
        return nil
    }

    /// The live conversation whose reference (check part verified) the message quotes, if any.
    static func quotedReference(
        _ db: PGSession, _ message: InboundMessage, references: ConversationReferences
    ) async throws -> QuotedConversation? {
        guard let id = QuotedReference.find(in: message, references: references) else { return nil }
        guard
            let customer = try await db.prepared.value(
                "SELECT customer_id FROM conversations WHERE id = \(id) AND status != 'merged'", as: Int64.self)
        else { return nil }
        return QuotedConversation(conversation: id, customer: customer)
    }

    static func encodeMetadata(_ metadata: [String: String]) -> String? {
        metadata.isEmpty ? nil : JSONText.object(metadata)
    }
}
