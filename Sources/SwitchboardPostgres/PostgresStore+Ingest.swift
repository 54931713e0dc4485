import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

extension PostgresStore {
    public func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        try await write { db in
            // Routing decisions read and change the agents' loads: holding their rows makes the
            // decisions of concurrent gateways serial (and the lock order fixed: agents first, by id).
            let loads = try await Self.agentLoads(db, lock: true)
            var group = try await IngestGroup.prefetch(db, items: items, normalizer: policy.normalizer, loads: loads)
            var outcomes: [IngestOutcome] = []
            for item in items {
                switch item.event {
                case .message(let message):
                    outcomes.append(try await Self.ingestMessage(db, item: item, message: message, policy: policy, group: &group))
                case .deliveryStatus(let update):
                    try await group.messages.flush(db)
                    outcomes.append(try await Self.applyDeliveryStatus(db, adapter: item.adapter, update: update))
                case .edit(let message, let editedAt):
                    try await group.messages.flush(db)
                    outcomes.append(try await Self.applyEdit(db, item: item, message: message, editedAt: editedAt, policy: policy, group: &group))
                case .ignored: outcomes.append(IngestOutcome(kind: .ignored))  // never handed over by the Router
                }
            }
            try await group.messages.flush(db)
            try await group.counters.flush(db)
            return outcomes
        }
    }

    static func agentLoads(_ db: PGSession, lock: Bool) async throws -> [String: AgentLoad] {
        var loads: [String: AgentLoad] = [:]
        let rows = try await db.rows(
            "SELECT id, status, open_assigned, assign_seq FROM agents WHERE configured = 1 ORDER BY id \(unescaped: lock ? "FOR UPDATE" : "")")
        for row in rows {
            let id: String = try row["id"]
            loads[id] = AgentLoad(
                agentID: id, status: AgentStatus(rawValue: try row["status"]) ?? .offline,
                openAssigned: try row["open_assigned"], lastAssignedSeq: try row["assign_seq"])
        }
        return loads
    }

    /// Counts one more open conversation for `agent` and marks it as the latest assigned.
    static func noteAssigned(_ db: PGSession, _ agent: String?, loads: inout [String: AgentLoad]) async throws {
        guard let agent else { return }
        let seq = (loads.values.map(\.lastAssignedSeq).max() ?? 0) + 1
        loads[agent]?.openAssigned += 1
        loads[agent]?.lastAssignedSeq = seq
        try await db.execute("UPDATE agents SET open_assigned = open_assigned + 1, assign_seq = \(seq) WHERE id = \(agent)")
    }

    static func noteUnassigned(_ db: PGSession, _ agent: String?, loads: inout [String: AgentLoad]) async throws {
        guard let agent else { return }
        if let open = loads[agent]?.openAssigned { loads[agent]?.openAssigned = max(0, open - 1) }
        try await db.execute("UPDATE agents SET open_assigned = GREATEST(0, open_assigned - 1) WHERE id = \(agent)")
    }

    static func ingestMessage(
        _ db: PGSession, item: IngestItem, message: InboundMessage, policy: IngestPolicy, group: inout IngestGroup
    ) async throws -> IngestOutcome {
        let now = item.receivedAt.epoch
        let direction: MessageDirection = message.kind == .activity ? .event : .inbound
        // Idempotency: the same (adapter, external id) is stored once. A concurrent twin on another
        // gateway fails our INSERT with a unique violation; the group is retried and lands here.
        if let twin = group.storedTwin(adapter: item.adapter, externalID: message.externalID, event: direction == .event) {
            return IngestOutcome(kind: .duplicate, messageID: twin.message, conversationID: twin.conversation)
        }

        var message = message
        if message.kind == .automated, message.metadata["automated"] == nil { message.metadata["automated"] = "true" }
        let identity = policy.normalizer.normalize(message.from)
        if !message.references.isEmpty { try await group.messages.flush(db) }
        let answered = try await answeredMessage(db, adapter: item.adapter, references: message.references)
        var related: [MessageRecord] = []
        var relatedEvents: [String] = []
        let name = message.customerName?.trimmed.nilIfEmpty
        var found = try await group.identify(db, identity: identity, name: name)

        // An unknown sender quoting a conversation's reference in a fresh message is that customer
        // writing from another address: the address joins them, visibly.
        if found == nil, answered == nil, message.kind == .contact, let target = try await quotedReference(db, message) {
            if let identityID = try await insertIdentity(db, customer: target.customer, identity: identity, adapter: item.adapter, at: now) {
                found = (target.customer, identityID)
                group.noteIdentity(identity, customer: target.customer, row: identityID, named: true)
                relatedEvents.append(
                    "\(identity.channel) \(identity.address) wrote quoting \(ConversationReference.format(target.conversation)) and was linked to this customer; unmerge or correct the identity if that is wrong")
            } else {
                found = try await identify(db, identity: identity, name: name)
            }
        }
        // Machines answering our mail are filed in the thread they answer, without becoming customers.
        if message.kind == .automated, let answered {
            let record = try await insertMessage(
                db, conversationID: answered.conversation, direction: direction, adapter: item.adapter, channel: identity.channel,
                address: message.from.address, threadRef: message.threadRef, externalID: message.externalID, inReplyTo: answered.message,
                body: message.text, metadata: encodeMetadata(message.metadata), metadataValue: message.metadata.nilIfEmpty,
                attachments: message.attachments, sentAt: message.sentAt?.epoch, createdAt: now, buffer: group.messages)
            group.noteStored(adapter: item.adapter, externalID: message.externalID, event: direction == .event, message: record.id, conversation: answered.conversation)
            let c = try await db.row("SELECT owner, assignee FROM conversations WHERE id = \(answered.conversation)")
            return IngestOutcome(
                kind: .stored, message: record, conversationID: answered.conversation, customerID: answered.customer,
                owner: try c?["owner"], assignee: try c?["assignee"])
        }
        let customerID: Int64, identityID: Int64
        if let found {
            (customerID, identityID) = found
        } else {
            // Another gateway may be creating the same customer right now: our identity INSERT then
            // waits for its transaction and does nothing, and we take the customer it made.
            let customer = try await db.value(
                "INSERT INTO customers (name, created_at) VALUES (\(name), \(now)) RETURNING id", as: Int64.self)!
            if let identityRow = try await insertIdentity(db, customer: customer, identity: identity, adapter: item.adapter, at: now) {
                (customerID, identityID) = (customer, identityRow)
                group.noteIdentity(identity, customer: customer, row: identityRow, named: name != nil)
            } else {
                try await db.execute("DELETE FROM customers WHERE id = \(customer)")
                guard let existing = try await identify(db, identity: identity, name: name) else {
                    throw ServiceError.storageUnavailable("identity \(identity.channel) \(identity.address) vanished; retry")
                }
                (customerID, identityID) = existing
            }
        }
        if message.kind == .contact, let answered, answered.customer != customerID {
            relatedEvents.append(
                "This message answers one in \(ConversationReference.format(answered.conversation)), another customer's conversation. If they are the same person, merge customer \(customerID) into customer \(answered.customer).")
        }

        // Thread and assign.
        let contact = message.kind == .contact
        var assignment: AssignmentChange?
        let conversationID: Int64
        var owner: String?, assignee: String?
        var startsRequest = false
        var answeredBefore = false
        if var row = try await group.conversation(db, customer: customerID) {
            conversationID = row.id
            owner = row.owner
            assignee = row.assignee
            let current = row.assignee
            let reopening = row.status == ConversationStatus.resolved.rawValue
            answeredBefore = !reopening && row.answeredAt != nil
            if contact, row.status == ConversationStatus.pending.rawValue {
                let resumed = row.resolutionLeft.map { policy.businessHours.deadline(from: item.receivedAt, adding: .seconds($0)).epoch } ?? now
                try await db.execute("""
                    UPDATE conversations SET status = 'open', resolution_left = NULL,
                        resolution_due = CASE WHEN resolution_left IS NULL THEN resolution_due ELSE \(resumed) END
                    WHERE id = \(conversationID)
                    """)
                row.status = ConversationStatus.open.rawValue
                row.resolutionLeft = nil
            }
            if contact {
                startsRequest = reopening
                let team: String? = row.team ?? policy.teamOfAdapter(item.adapter)
                let decision = policy.assignment.decide(
                    owner: owner, currentAssignee: reopening ? nil : current, team: team, loads: group.loads, at: item.receivedAt)
                assignee = decision.assignee
                if reopening || decision.assignee != current || decision.owner != owner {
                    try await db.execute("""
                        UPDATE conversations SET status = 'open', owner = \(decision.owner), assignee = \(decision.assignee),
                            resolved_at = NULL WHERE id = \(conversationID)
                        """)
                    if !reopening && decision.assignee != current { try await noteUnassigned(db, current, loads: &group.loads) }
                    if reopening || decision.assignee != current { try await noteAssigned(db, decision.assignee, loads: &group.loads) }
                    owner = decision.owner
                    (row.status, row.owner, row.assignee) = (ConversationStatus.open.rawValue, decision.owner, decision.assignee)
                    let why = decision.reason ?? (decision.assignee.map { "assigned to \($0)" } ?? "waiting for the team")
                    assignment = AssignmentChange(
                        owner: owner, assignee: assignee, reason: reopening ? "reopened by the customer's new message; \(why)" : why)
                }
            }
            group.noteConversation(customer: customerID, row)
        } else if contact {
            startsRequest = true
            let team = policy.teamOfAdapter(item.adapter)
            owner = policy.assignment.ownerForNewCustomer(team: team, loads: group.loads, at: item.receivedAt)
            assignee = owner
            // UNIQUE (customer_id): a concurrent twin fails here and the group is retried.
            conversationID = try await db.value("""
                INSERT INTO conversations (customer_id, status, owner, assignee, team, last_message_at, created_at)
                VALUES (\(customerID), 'open', \(owner), \(assignee), \(team), \(now), \(now)) RETURNING id
                """, as: Int64.self)!
            group.noteConversation(customer: customerID, .init(
                id: conversationID, status: ConversationStatus.open.rawValue, owner: owner, assignee: assignee, team: team,
                answeredAt: nil, resolutionLeft: nil))
            try await noteAssigned(db, owner, loads: &group.loads)
            let teamText = team.map { "team \($0)" } ?? "any team"
            assignment = AssignmentChange(
                owner: owner, assignee: assignee,
                reason: owner.map { "new customer: \($0) is the least-loaded available agent of \(teamText) and becomes the owner" }
                    ?? "new customer: no agent of \(teamText) is available; waiting for a supervisor")
        } else {
            conversationID = try await db.value("""
                INSERT INTO conversations (customer_id, status, team, last_message_at, created_at, resolved_at)
                VALUES (\(customerID), 'resolved', \(policy.teamOfAdapter(item.adapter)), \(now), \(now), \(now)) RETURNING id
                """, as: Int64.self)!
            group.noteConversation(customer: customerID, .init(
                id: conversationID, status: ConversationStatus.resolved.rawValue, owner: nil, assignee: nil,
                team: policy.teamOfAdapter(item.adapter), answeredAt: nil, resolutionLeft: nil))
        }

        // Persist.
        let record = try await insertMessage(
            db, conversationID: conversationID, direction: direction, adapter: item.adapter, channel: identity.channel,
            address: message.from.address, threadRef: message.threadRef, externalID: message.externalID,
            inReplyTo: answered.flatMap { $0.conversation == conversationID ? $0.message : nil },
            body: message.text, metadata: encodeMetadata(message.metadata), metadataValue: message.metadata.nilIfEmpty,
            attachments: message.attachments, sentAt: message.sentAt?.epoch, createdAt: now, identityID: identityID,
            buffer: group.messages)
        group.noteStored(adapter: item.adapter, externalID: message.externalID, event: direction == .event, message: record.id, conversation: conversationID)
        if let change = assignment {
            assignment?.event = try await insertMessage(
                db, conversationID: conversationID, direction: .event, body: change.reason, createdAt: now, buffer: group.messages)
        }
        for text in relatedEvents {
            related.append(try await insertMessage(
                db, conversationID: conversationID, direction: .event, body: text, createdAt: now, buffer: group.messages))
        }
        guard contact else {
            try await db.execute("UPDATE conversations SET last_message_at = GREATEST(last_message_at, \(now)) WHERE id = \(conversationID)")
            return IngestOutcome(
                kind: .stored, message: record, conversationID: conversationID, customerID: customerID,
                owner: owner, assignee: assignee, related: related)
        }

        // Clocks run in business hours.
        let hours = policy.businessHours
        let target = answeredBefore ? policy.nextResponse(item.adapter) : policy.firstResponse(item.adapter)
        var due = hours.deadline(from: item.receivedAt, adding: target).epoch
        var warnAt = hours.deadline(from: item.receivedAt, adding: target * 0.8).epoch
        if startsRequest, let resolution = policy.resolution(item.adapter) {
            let resolutionDue = hours.deadline(from: item.receivedAt, adding: resolution).epoch
            try await db.execute("""
                UPDATE conversations SET resolution_due = \(resolutionDue), resolution_breached = 0, resolution_left = NULL
                WHERE id = \(conversationID)
                """)
        }
        if message.requestsCallback {
            let within = policy.callbackWithin(item.adapter)
            let promised = hours.deadline(from: item.receivedAt, adding: within).epoch
            let callback = try await db.value("""
                UPDATE conversations SET callback_due = LEAST(COALESCE(callback_due, \(promised)), \(promised))
                WHERE id = \(conversationID) RETURNING callback_due
                """, as: Double.self) ?? promised
            due = min(due, callback)
            warnAt = min(warnAt, hours.deadline(from: item.receivedAt, adding: within * 0.8).epoch)
            related.append(try await insertMessage(
                db, conversationID: conversationID, direction: .event,
                body: "Call back promised by \(Date(epoch: callback).formatted(.iso8601)) (\(owner.map { "owner \($0)" } ?? "no owner yet"))",
                createdAt: now, buffer: group.messages))
        }
        // Read only when an acknowledgement may follow: most messages continue a request.
        let mayAcknowledge = startsRequest && policy.acknowledgement.enabled
        var previousContact: Double?, dueNow: Double?
        if mayAcknowledge {
            // The acknowledgement names the due time: the clocks as they stand after this message.
            try await group.counters.flush(db)
            previousContact = try await db.value("SELECT last_contact_at FROM customers WHERE id = \(customerID)", as: Double.self)
            group.counters.add(conversation: conversationID, customer: customerID, at: now, due: due, warn: warnAt)
            try await group.counters.flush(db)
            dueNow = try await db.value("SELECT first_response_due FROM conversations WHERE id = \(conversationID)", as: Double.self)
        } else {
            group.counters.add(conversation: conversationID, customer: customerID, at: now, due: due, warn: warnAt)
        }

        var acknowledged = false
        let quiet = policy.acknowledgement.quietPeriod.seconds
        if mayAcknowledge, previousContact.map({ now - $0 >= quiet }) ?? true,
            let template = policy.acknowledgement.template(item.adapter, ReplyContext(
                to: message.from.address, threadRef: message.threadRef, inReplyTo: message.externalID, text: ""))
        {
            let customerName = try await db.value("SELECT name FROM customers WHERE id = \(customerID)", as: String.self)
            let text = policy.acknowledgement.render(
                template, reference: ConversationReference.format(conversationID), owner: owner, customer: customerName,
                due: dueNow.map(Date.init(epoch:)))
            let ack = try await insertMessage(
                db, conversationID: conversationID, direction: .outbound, adapter: item.adapter, address: message.from.address,
                threadRef: message.threadRef, inReplyTo: record.id, body: text, author: "switchboard",
                metadata: encodeMetadata(["purpose": "acknowledgement"]), metadataValue: ["purpose": "acknowledgement"],
                createdAt: now, delivery: DeliveryInfo(state: .queued, attempts: 0), buffer: group.messages)
            try await group.messages.flush(db)  // the outbox row refers to the message row
            try await db.execute("""
                INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, purpose)
                VALUES (\(ack.id), \(item.adapter), \(message.externalID), \(now), 'acknowledgement')
                """)
            try await db.execute("UPDATE conversations SET last_ack_at = \(now) WHERE id = \(conversationID)")
            related.append(ack)
            acknowledged = true
        }
        return IngestOutcome(
            kind: .stored, message: record, conversationID: conversationID, customerID: customerID,
            owner: owner, assignee: assignee, assignment: assignment, related: related, queuedAcknowledgement: acknowledged)
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
            buffer.append(.init(
                id: id, conversationID: conversationID, direction: direction.rawValue, adapter: adapter, channel: channel,
                address: address, threadRef: threadRef, externalID: externalID, inReplyTo: inReplyTo, body: body, author: author,
                metadata: metadata, attachments: attachmentsJSON, sentAt: sentAt, createdAt: createdAt,
                deliveryState: delivery?.state.rawValue, deliveryAttempts: delivery?.attempts, identityID: identityID))
        } else {
            id = try await db.value("""
                INSERT INTO messages (conversation_id, direction, adapter, channel, address, thread_ref, external_id, in_reply_to,
                    body, author, metadata, attachments, sent_at, created_at, delivery_state, delivery_attempts, identity_id)
                VALUES (\(conversationID), \(direction.rawValue), \(adapter), \(channel), \(address), \(threadRef), \(externalID),
                    \(inReplyTo), \(body), \(author), \(metadata), \(attachmentsJSON), \(sentAt), \(createdAt),
                    \(delivery?.state.rawValue), \(delivery?.attempts), \(identityID))
                RETURNING id
                """, as: Int64.self)!
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
        guard let row = try await db.row("""
            SELECT m.id, m.body, m.conversation_id, c.owner, c.assignee FROM messages m JOIN conversations c ON c.id = m.conversation_id
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
            return IngestOutcome(kind: .duplicate, messageID: id, conversationID: try row["conversation_id"])
        }
        let attachmentsJSON = message.attachments.isEmpty ? nil : String(decoding: JSONCoding.encode(message.attachments), as: UTF8.self)
        try await db.execute("""
            UPDATE messages SET original_body = COALESCE(original_body, body), body = \(message.text),
                edited_at = \((editedAt ?? item.receivedAt).epoch), attachments = COALESCE(\(attachmentsJSON), attachments)
            WHERE id = \(id)
            """)
        return IngestOutcome(
            kind: .edited, message: try await messageRecord(db, id: id), conversationID: try row["conversation_id"],
            owner: try row["owner"], assignee: try row["assignee"])
    }

    /// A platform's report on one of our replies. States only move forward.
    private static func applyDeliveryStatus(_ db: PGSession, adapter: String, update: DeliveryStatusUpdate) async throws -> IngestOutcome {
        guard let row = try await db.row("""
            SELECT m.id, m.delivery_state, c.owner, c.assignee FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.adapter = \(adapter) AND m.external_id = \(update.externalID) AND m.direction = 'outbound'
            FOR UPDATE OF m
            """)
        else {
            // Possibly a report that outran the send call's answer: keep it for a while.
            let received = Date().epoch
            try await db.execute("""
                INSERT INTO early_statuses (adapter, external_id, state, error, received_at)
                VALUES (\(adapter), \(update.externalID), \(update.state.rawValue), \(update.error), \(received))
                ON CONFLICT DO NOTHING
                """)
            try await db.execute("DELETE FROM early_statuses WHERE received_at < \(received - 3600)")
            return IngestOutcome(kind: .ignored)
        }
        let id: Int64 = try row["id"]
        try await advanceDelivery(db, message: id, current: try row["delivery_state"], to: update.state, error: update.error)
        let record = try await messageRecord(db, id: id)
        return IngestOutcome(
            kind: .deliveryUpdated, message: record, conversationID: record?.conversationID,
            owner: try row["owner"], assignee: try row["assignee"])
    }

    /// Moves a reply's delivery state forward only; `failed` may follow anything.
    static func advanceDelivery(
        _ db: PGSession, message id: Int64, current: String?, to state: DeliveryStatusUpdate.State, error: String?
    ) async throws {
        let now = DeliveryState(rawValue: current ?? "queued") ?? .queued
        let next: DeliveryState = switch state {
        case .sent: .sent
        case .delivered, .read: .delivered
        case .failed: .failed
        }
        let rank: [DeliveryState: Int] = [.queued: 0, .sent: 1, .delivered: 2, .failed: 3]
        if rank[next]! > rank[now]! {
            try await db.execute("UPDATE messages SET delivery_state = \(next.rawValue), delivery_error = \(error) WHERE id = \(id)")
        }
    }

    // MARK: - Identifying

    /// The customer owning this identity and the identity's row, if known; fills in a missing name.
    static func identify(_ db: PGSession, identity: ChannelIdentity, name: String?) async throws -> (customer: Int64, identity: Int64)? {
        guard let row = try await db.row(
            "SELECT id, customer_id FROM identities WHERE channel = \(identity.channel) AND address = \(identity.address)")
        else { return nil }
        let customer: Int64 = try row["customer_id"]
        if let name {
            try await db.execute("UPDATE customers SET name = \(name) WHERE id = \(customer) AND name IS NULL")
        }
        return (customer, try row["id"])
    }

    /// Inserts an identity; nil when (channel, address) already belongs to someone (perhaps just now,
    /// by another gateway's transaction, which this statement waited for).
    static func insertIdentity(_ db: PGSession, customer: Int64, identity: ChannelIdentity, adapter: String, at: Double) async throws -> Int64? {
        try await db.value("""
            INSERT INTO identities (customer_id, channel, address, adapter, created_at)
            VALUES (\(customer), \(identity.channel), \(identity.address), \(adapter), \(at))
            ON CONFLICT (channel, address) DO NOTHING RETURNING id
            """, as: Int64.self)
    }

    /// The first stored message of this adapter that `references` names.
    static func answeredMessage(
        _ db: PGSession, adapter: String, references: [String]
    ) async throws -> (message: Int64, conversation: Int64, customer: Int64)? {
        for reference in references.prefix(20) where !reference.isEmpty {
            for direction in ["inbound", "outbound"] {
                if let row = try await db.row("""
                    SELECT m.id, m.conversation_id, c.customer_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.adapter = \(adapter) AND m.external_id = \(reference) AND m.direction = \(unescaped: "'\(direction)'") LIMIT 1
                    """)
                {
                    return (try row["id"], try row["conversation_id"], try row["customer_id"])
                }
            }
        }
        return nil
    }

    /// The live conversation whose reference (`SB-000123`) the message quotes, if any.
    static func quotedReference(_ db: PGSession, _ message: InboundMessage) async throws -> (conversation: Int64, customer: Int64)? {
        let places = [message.metadata["subject"].map { Substring($0) }, Substring(message.text.prefix(2000))].compactMap { $0 }
        guard let id = places.lazy.compactMap(ConversationReference.find(in:)).first else { return nil }
        guard let customer = try await db.value(
            "SELECT customer_id FROM conversations WHERE id = \(id) AND status != 'merged'", as: Int64.self)
        else { return nil }
        return (id, customer)
    }

    static func encodeMetadata(_ metadata: [String: String]) -> String? {
        metadata.isEmpty ? nil : String(decoding: JSONCoding.encode(metadata), as: UTF8.self)
    }
}
