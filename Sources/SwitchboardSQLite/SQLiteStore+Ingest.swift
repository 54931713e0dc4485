import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Ingestion: for each message, read what the planner needs, let the core decide, write the plan.
extension SQLiteStore {
    public func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        let outcomes = try await pool.write { db in try Self.ingestGroup(db, items, policy: policy) }
        searchIndexing.wake()
        return outcomes
    }

    /// Commits without waiting for the disk (see ``SQLiteWALSync``); ``syncCommitted()`` makes it durable.
    public func ingestCommittingLater(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        let outcomes = try await pool.writeWithoutTransaction { db in
            try self.walSync.committingLater(db) {
                var outcomes: [IngestOutcome] = []
                try db.inTransaction {
                    outcomes = try Self.ingestGroup(db, items, policy: policy)
                    return .commit
                }
                return outcomes
            }
        }
        searchIndexing.wake()
        return outcomes
    }

    public func syncCommitted() async throws {
        try await walSync.sync()
    }

    static func ingestGroup(_ db: Database, _ items: [IngestItem], policy: IngestPolicy) throws -> [IngestOutcome] {
        let search = try SQLiteSearchDeferral.begin(db)
        var loads = try Self.agentLoads(db)
        let outcomes = try items.map { item in
            let outcome: IngestOutcome =
                switch item.event {
                case .message(let message):
                    try Self.ingestMessage(db, item: item, message: message, policy: policy, loads: &loads)
                case .deliveryStatus(let update):
                    try Self.applyDeliveryStatus(db, adapter: item.adapter, update: update)
                case .edit(let message, let editedAt):
                    try Self.applyEdit(db, item: item, message: message, editedAt: editedAt, policy: policy, loads: &loads)
                case .ignored(let reason): .ignored(reason: reason.code)  // never handed over by the pipeline
                }
            // In the same transaction: an event is never lost once the channel got its 2xx.
            if let journal = policy.journal { try Self.enqueue(db, journal(outcome)) }
            return outcome
        }
        try search.finish(db)
        return outcomes
    }

    static func agentLoads(_ db: Database) throws -> [String: AgentLoad] {
        let rows = try db.cachedStatement(sql: "SELECT id, status, open_assigned, assign_seq FROM agents WHERE configured = 1").all { row in
            AgentLoad(agentID: row[0], status: AgentStatus(rawValue: row[1]) ?? .offline, openAssigned: row[2], lastAssignedSeq: row[3])
        }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.agentID, $0) })  // id is the agents' key
    }

    /// Records one load change, keeping `loads` as the database now has them.
    static func applyLoad(_ db: Database, _ change: LoadChange, loads: inout [String: AgentLoad]) throws {
        loads.apply(change)
        switch change {
        case .assigned(let agent):
            try db.cachedStatement(sql: "UPDATE agents SET open_assigned = open_assigned + 1, assign_seq = ? WHERE id = ?")
                .execute(arguments: [loads[agent]?.lastAssignedSeq ?? 0, agent])
        case .unassigned(let agent):
            try db.cachedStatement(sql: "UPDATE agents SET open_assigned = MAX(0, open_assigned - 1) WHERE id = ?").execute(arguments: [agent])
        }
    }

    static func ingestMessage(
        _ db: Database, item: IngestItem, message: InboundMessage, policy: IngestPolicy, loads: inout [String: AgentLoad]
    ) throws -> IngestOutcome {
        let snapshot = try inboundSnapshot(db, item: item, message: message, policy: policy)
        let plan = InboundPlanner.plan(item, message, snapshot, loads: loads, policy: policy)
        return try apply(db, plan, adapter: item.adapter, before: snapshot.conversationRead(for: plan), loads: &loads)
    }

    /// What the planner needs to know about one message, as this transaction sees it.
    static func inboundSnapshot(_ db: Database, item: IngestItem, message: InboundMessage, policy: IngestPolicy) throws -> InboundSnapshot {
        let identity = policy.normalizer.normalize(message.from)
        var snapshot = InboundSnapshot(identity: identity)
        // Idempotency: the same (adapter, external id) is stored once (call activity: as either kind).
        // The direction is written into the SQL, never bound: a bound value compared against a
        // partial index's WHERE makes SQLite compile the statement again at every new binding.
        for direction in message.kind == .activity ? ["inbound", "event"] : ["inbound"] {
            if let duplicate = try db.cachedStatement(
                sql: "SELECT id, conversation_id FROM messages WHERE adapter = ? AND external_id = ? AND direction = '\(direction)'"
            ).first([item.adapter, message.externalID], { StoredMessageRef(message: $0[0], conversation: $0[1]) }) {
                snapshot.duplicate = duplicate
                return snapshot
            }
        }
        snapshot.answered = try answeredMessage(db, adapter: item.adapter, references: message.references)
        if let known = try customerAndConversation(db, identity: identity) { (snapshot.customer, snapshot.conversation) = known }
        if InboundSnapshot.needsQuotedReference(message, customer: snapshot.customer, answered: snapshot.answered) {
            snapshot.quoted = try quotedReference(db, message, references: policy.references)
        }
        if InboundSnapshot.needsAnsweredConversation(message, answered: snapshot.answered), let answered = snapshot.answered {
            snapshot.answeredConversation = try conversationState(db, id: answered.conversation)
        }
        if let candidate = InboundSnapshot.participantCandidate(message, snapshot), try isParticipant(db, identity, of: candidate.conversation) {
            snapshot.participantOf = try conversationState(db, id: candidate.conversation)
        }
        return snapshot
    }

    /// Writes what the planner decided.
    /// `before`: the customer's conversation as the snapshot read it (only changed columns are written).
    static func apply(
        _ db: Database, _ plan: InboundPlan, adapter: String, before: ConversationState? = nil, loads: inout [String: AgentLoad]
    ) throws -> IngestOutcome {
        switch plan {
        case .duplicate(let ref):
            return .duplicate(ref)
        case .file(let message, let conversation):
            let record = try insertPlanned(
                db, message, ids: PlanIDs(customer: conversation.customerID, conversation: conversation.id), identity: nil, earlier: [])
            return .stored(StoredInbound(message: record, conversation: conversation.access, customer: conversation.customerID))
        case .store(let plan):
            let customerID: Int64
            let identityID: Int64
            if let known = plan.customer {
                (customerID, identityID) = (known.id, known.identity)
                if known.name == nil, let name = plan.customerName {
                    try db.cachedStatement(sql: "UPDATE customers SET name = ? WHERE id = ? AND name IS NULL").execute(arguments: [name, known.id])
                }
            } else {
                try db.cachedStatement(sql: "INSERT INTO customers (name, created_at) VALUES (?, ?)")
                    .execute(arguments: [plan.customerName, plan.at.epoch])
                customerID = db.lastInsertedRowID
                identityID = try insertIdentity(db, customer: customerID, identity: plan.identity, adapter: adapter, at: plan.at.epoch)
            }
            var state = plan.conversation
            state.customerID = customerID
            if plan.newConversation {
                state.id = try insertConversation(db, state)
            } else {
                try writeConversation(db, state, before: before)
            }
            for change in plan.loads { try applyLoad(db, change, loads: &loads) }
            if plan.countsContact {
                try db.cachedStatement(
                    sql: """
                        UPDATE customers SET contacts = contacts + 1, first_contact_at = COALESCE(first_contact_at, ?1), last_contact_at = ?1 WHERE id = ?2
                        """
                ).execute(arguments: [plan.at.epoch, customerID])
            }
            let ids = PlanIDs(customer: customerID, conversation: state.id)
            try addParticipants(db, plan.participants, conversation: state.id, at: plan.at)
            var records: [MessageRecord] = []
            for message in plan.messages {
                records.append(try insertPlanned(db, message, ids: ids, identity: identityID, earlier: records))
            }
            var assignment = plan.assignment
            assignment?.event = plan.assignmentEvent.map { records[$0] }
            let related = records.indices.dropFirst().filter { $0 != plan.assignmentEvent }.map { records[$0] }
            return .stored(
                StoredInbound(
                    message: records[0], conversation: state.access, customer: customerID, assignment: assignment, related: related,
                    acknowledged: plan.acknowledgement != nil, started: plan.started))
        }
    }

    /// Inserts one planned message (and its outbox row) and returns it as the API shows it.
    static func insertPlanned(
        _ db: Database, _ message: PlannedMessage, ids: PlanIDs, identity: Int64?, earlier: [MessageRecord]
    ) throws -> MessageRecord {
        let inReplyTo: Int64? =
            switch message.inReplyTo {
            case .stored(let id)?: id
            case .planned(let index)?: earlier[index].id
            case nil: nil
            }
        let identityID: Int64? =
            switch message.identity {
            case .stored(let id)?: id
            case .new?: identity
            case nil: nil
            }
        let record = try insertMessage(
            db, conversationID: ids.conversation, direction: message.direction, adapter: message.adapter, channel: message.channel,
            address: message.address, threadRef: message.threadRef, externalID: message.externalID, inReplyTo: inReplyTo,
            body: message.body.text(ids), author: message.author, metadata: message.metadata.flatMap(encodeMetadata),
            metadataValue: message.metadata, attachments: message.attachments, sentAt: message.sentAt?.epoch,
            createdAt: message.createdAt.epoch, delivery: message.delivery, identityID: identityID)
        if let outbox = message.outbox {
            try db.cachedStatement(
                sql: """
                    INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, quoted, purpose) VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                record.id, outbox.adapter, outbox.inReplyToExternalID, outbox.nextAttemptAt.epoch, outbox.quoted, outbox.purpose.rawValue,
            ])
        }
        return record
    }

    /// Inserts one message row and returns it as the API shows it.
    @discardableResult
    static func insertMessage(
        _ db: Database, conversationID: Int64, direction: MessageDirection, adapter: String? = nil, channel: String? = nil,
        address: String? = nil, threadRef: String? = nil, externalID: String? = nil, inReplyTo: Int64? = nil,
        body: String, author: String? = nil, metadata: String? = nil, metadataValue: [String: String]? = nil,
        attachments: [Attachment] = [], sentAt: Double? = nil, createdAt: Double, delivery: DeliveryInfo? = nil,
        identityID: Int64? = nil
    ) throws -> MessageRecord {
        let attachments = try storeAttachmentContents(attachments, db)
        let attachmentsJSON = attachments.isEmpty ? nil : String(decoding: JSONCoding.encode(attachments), as: UTF8.self)
        try db.cachedStatement(
            sql: """
                INSERT INTO messages (conversation_id, direction, adapter, channel, address, thread_ref, external_id, in_reply_to,
                    body, author, metadata, attachments, sent_at, created_at, delivery_state, delivery_attempts, identity_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            conversationID, direction.rawValue, adapter, channel, address, threadRef, externalID, inReplyTo,
            body, author, metadata, attachmentsJSON, sentAt, createdAt, delivery?.state.rawValue, delivery?.attempts, identityID,
        ])
        let id = db.lastInsertedRowID
        if direction == .inbound, let adapter, attachments.contains(where: \.isFetching) {
            try enqueueMediaFetch(db, message: id, adapter: adapter, dueAt: createdAt)
        }
        return MessageRecord(
            id: id, conversationID: conversationID, direction: direction, adapter: adapter, channel: channel,
            body: body, createdAt: Date(epoch: createdAt), sentAt: sentAt.map(Date.init(epoch:)), externalID: externalID,
            author: author, inReplyTo: inReplyTo, delivery: delivery, metadata: metadataValue,
            attachments: attachments.isEmpty ? nil : attachments)
    }

    /// An edit replaces the text of the original inbound message and keeps what was first written.
    /// A repeated edit (platform retry) changes nothing; an edit of a message never received is
    /// stored as a message, so nothing is lost.
    private static func applyEdit(
        _ db: Database, item: IngestItem, message: InboundMessage, editedAt: Date?, policy: IngestPolicy,
        loads: inout [String: AgentLoad]
    ) throws -> IngestOutcome {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT m.id, m.body, c.id AS conversation_id, c.owner, c.assignee, c.team, c.status
                        FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE m.adapter = ? AND m.external_id = ? AND m.direction = 'inbound'
                        """),
                arguments: [item.adapter, message.externalID])
        else {
            var stored = message
            stored.metadata["edited"] = "true"
            return try ingestMessage(db, item: item, message: stored, policy: policy, loads: &loads)
        }
        let id: Int64 = row["id"]
        guard (row["body"] as String) != message.text else {
            return .duplicate(StoredMessageRef(message: id, conversation: row["conversation_id"]))
        }
        let attachmentsJSON = message.attachments.isEmpty ? nil : String(decoding: JSONCoding.encode(message.attachments), as: UTF8.self)
        try db.execute(
            sql: """
                UPDATE messages SET original_body = COALESCE(original_body, body), body = ?, edited_at = ?,
                    attachments = COALESCE(?, attachments) WHERE id = ?
                """, arguments: [message.text, (editedAt ?? item.receivedAt).epoch, attachmentsJSON, id])
        guard let record = try messageRecord(db, id: id) else { throw StoreError.missing("message \(id)") }
        return .edited(record, access(row: row, id: "conversation_id"))
    }

    /// A platform's report on one of our replies. States only move forward: a late `sent` never
    /// overwrites `delivered`.
    private static func applyDeliveryStatus(_ db: Database, adapter: String, update: DeliveryStatusUpdate) throws -> IngestOutcome {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT m.id, m.delivery_state, c.id AS conversation_id, c.owner, c.assignee, c.team, c.status
                        FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE m.adapter = ? AND m.external_id = ? AND m.direction = 'outbound'
                        """),
                arguments: [adapter, update.externalID])
        else {
            // Possibly a report that outran the send call's answer: keep it for a while.
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO early_statuses (adapter, external_id, state, error, received_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [adapter, update.externalID, update.state.rawValue, update.error, Date().epoch])
            try db.execute(sql: "DELETE FROM early_statuses WHERE received_at < ?", arguments: [Date().epoch - 3600])
            return .ignored(reason: IgnoreReason.statusForUnknownMessage.code)
        }
        let id: Int64 = row["id"]
        try advanceDelivery(db, message: id, current: row["delivery_state"], to: update.state, error: update.error)
        guard let record = try messageRecord(db, id: id) else { throw StoreError.missing("message \(id)") }
        return .deliveryUpdated(record, access(row: row, id: "conversation_id"))
    }
}

extension SQLiteStore {
    /// Moves a reply's delivery state forward only: a late `sent` never overwrites `delivered`,
    /// while `failed` may follow anything (a delivered message can still bounce).
    static func advanceDelivery(_ db: Database, message id: Int64, current: String?, to state: DeliveryStatusUpdate.State, error: String?) throws {
        let now = DeliveryState(rawValue: current ?? "queued") ?? .queued
        guard let next = now.advanced(by: state) else { return }
        try db.execute(sql: "UPDATE messages SET delivery_state = ?, delivery_error = ? WHERE id = ?", arguments: [next.rawValue, error, id])
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Dictionary {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
