import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

extension SQLiteStore {
    public func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        try await pool.write { db in
            var loads = try Self.agentLoads(db)
            return try items.map { item in
                switch item.event {
                case .message(let message):
                    try Self.ingestMessage(db, item: item, message: message, policy: policy, loads: &loads)
                case .deliveryStatus(let update):
                    try Self.applyDeliveryStatus(db, adapter: item.adapter, update: update)
                case .edit(let message, let editedAt):
                    try Self.applyEdit(db, item: item, message: message, editedAt: editedAt, policy: policy, loads: &loads)
                case .ignored: IngestOutcome(kind: .ignored)  // never handed over by the Router
                }
            }
        }
    }

    static func agentLoads(_ db: Database) throws -> [String: AgentLoad] {
        var loads: [String: AgentLoad] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, status, open_assigned, assign_seq FROM agents WHERE configured = 1") {
            let id: String = row["id"]
            loads[id] = AgentLoad(
                agentID: id, status: AgentStatus(rawValue: row["status"]) ?? .offline,
                openAssigned: row["open_assigned"], lastAssignedSeq: row["assign_seq"])
        }
        return loads
    }

    /// Counts one more open conversation for `agent` and marks it as the latest assigned.
    static func noteAssigned(_ db: Database, _ agent: String?, loads: inout [String: AgentLoad]) throws {
        guard let agent else { return }
        let seq = (loads.values.map(\.lastAssignedSeq).max() ?? 0) + 1
        loads[agent]?.openAssigned += 1
        loads[agent]?.lastAssignedSeq = seq
        try db.cachedStatement(sql: "UPDATE agents SET open_assigned = open_assigned + 1, assign_seq = ? WHERE id = ?")
            .execute(arguments: [seq, agent])
    }

    static func noteUnassigned(_ db: Database, _ agent: String?, loads: inout [String: AgentLoad]) throws {
        guard let agent else { return }
        if let open = loads[agent]?.openAssigned { loads[agent]?.openAssigned = max(0, open - 1) }
        try db.cachedStatement(sql: "UPDATE agents SET open_assigned = MAX(0, open_assigned - 1) WHERE id = ?")
            .execute(arguments: [agent])
    }

    static func ingestMessage(
        _ db: Database, item: IngestItem, message: InboundMessage, policy: IngestPolicy, loads: inout [String: AgentLoad]
    ) throws -> IngestOutcome {
        let now = item.receivedAt.epoch
        let direction: MessageDirection = message.kind == .activity ? .event : .inbound
        // Idempotency: the same (adapter, external id) is stored once.
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, conversation_id FROM messages WHERE adapter = ? AND external_id = ? AND direction = 'inbound'"),
            arguments: [item.adapter, message.externalID])
            ?? (direction == .event ? try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, conversation_id FROM messages WHERE adapter = ? AND external_id = ? AND direction = 'event'"),
                arguments: [item.adapter, message.externalID]) : nil)
        {
            return IngestOutcome(kind: .duplicate, messageID: row["id"], conversationID: row["conversation_id"])
        }

        var message = message
        if message.kind == .automated, message.metadata["automated"] == nil { message.metadata["automated"] = "true" }
        let identity = policy.normalizer.normalize(message.from)
        let answered = try answeredMessage(db, adapter: item.adapter, references: message.references)
        var related: [MessageRecord] = []
        var relatedEvents: [String] = []
        var found = try identify(db, identity: identity, name: message.customerName?.trimmed.nilIfEmpty)

        // An unknown sender quoting a conversation's reference in a fresh message is that customer
        // writing from another address: the address joins them, visibly. A reply inside someone
        // else's mail thread (`answered` set) never joins silently: it gets a suggestion instead.
        if found == nil, answered == nil, message.kind == .contact, let target = try quotedReference(db, message) {
            let identityID = try insertIdentity(db, customer: target.customer, identity: identity, adapter: item.adapter, at: now)
            found = (target.customer, identityID)
            relatedEvents.append(
                "\(identity.channel) \(identity.address) wrote quoting \(ConversationReference.format(target.conversation)) and was linked to this customer; unmerge or correct the identity if that is wrong")
        }
        // Machines answering our mail (bounces, out-of-office) are filed in the thread they answer,
        // without making the machine a customer: one provider's mailer-daemon serves many customers.
        if message.kind == .automated, let answered {
            let record = try insertMessage(
                db, conversationID: answered.conversation, direction: direction, adapter: item.adapter, channel: identity.channel,
                address: message.from.address, threadRef: message.threadRef, externalID: message.externalID, inReplyTo: answered.message,
                body: message.text, metadata: encodeMetadata(message.metadata), metadataValue: message.metadata.nilIfEmpty,
                attachments: message.attachments, sentAt: message.sentAt?.epoch, createdAt: now)
            let c = try Row.fetchOne(db, sql: "SELECT owner, assignee FROM conversations WHERE id = ?", arguments: [answered.conversation])
            return IngestOutcome(
                kind: .stored, message: record, conversationID: answered.conversation, customerID: answered.customer,
                owner: c?["owner"], assignee: c?["assignee"])
        }
        let (customerID, identityID) = try found ?? {
            try db.cachedStatement(sql: "INSERT INTO customers (name, created_at) VALUES (?, ?)")
                .execute(arguments: [message.customerName?.trimmed.nilIfEmpty, now])
            let customer = db.lastInsertedRowID
            return (customer, try insertIdentity(db, customer: customer, identity: identity, adapter: item.adapter, at: now))
        }()
        if message.kind == .contact, let answered, answered.customer != customerID {
            relatedEvents.append(
                "This message answers one in \(ConversationReference.format(answered.conversation)), another customer's conversation. If they are the same person, merge customer \(customerID) into customer \(answered.customer).")
        }

        // Thread and assign. Only a customer reaching out moves work around; automated mail and
        // call activity are recorded where they belong and change nothing else.
        let contact = message.kind == .contact
        var assignment: AssignmentChange?
        let conversationID: Int64
        var owner: String?, assignee: String?
        var startsRequest = false
        var answeredBefore = false
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, status, owner, assignee, team, answered_at, resolution_left FROM conversations WHERE customer_id = ?"),
            arguments: [customerID])
        {
            conversationID = row["id"]
            owner = row["owner"]
            assignee = row["assignee"]
            let current: String? = row["assignee"]
            let reopening = (row["status"] as String) == ConversationStatus.resolved.rawValue
            answeredBefore = !reopening && (row["answered_at"] as Double?) != nil
            if contact, (row["status"] as String) == ConversationStatus.pending.rawValue {
                // The customer answered what we waited for: the conversation is open again and its
                // resolution clock resumes with what was left.
                try db.cachedStatement(sql: """
                    UPDATE conversations SET status = 'open', resolution_left = NULL,
                        resolution_due = CASE WHEN resolution_left IS NULL THEN resolution_due ELSE ? END WHERE id = ?
                    """).execute(arguments: [
                        (row["resolution_left"] as Double?).map {
                            policy.businessHours.deadline(from: item.receivedAt, adding: .seconds($0)).epoch } ?? now,
                        conversationID,
                    ])
            }
            if contact {
                startsRequest = reopening
                let team: String? = row["team"] ?? policy.teamOfAdapter(item.adapter)
                // A resolved conversation carries nobody's load; reopening decides afresh.
                let decision = policy.assignment.decide(
                    owner: owner, currentAssignee: reopening ? nil : current, team: team, loads: loads, at: item.receivedAt)
                assignee = decision.assignee
                if reopening || decision.assignee != current || decision.owner != owner {
                    try db.cachedStatement(sql: "UPDATE conversations SET status = 'open', owner = ?, assignee = ?, resolved_at = NULL WHERE id = ?")
                        .execute(arguments: [decision.owner, decision.assignee, conversationID])
                    if !reopening && decision.assignee != current { try noteUnassigned(db, current, loads: &loads) }
                    if reopening || decision.assignee != current { try noteAssigned(db, decision.assignee, loads: &loads) }
                    owner = decision.owner
                    let why = decision.reason ?? (decision.assignee.map { "assigned to \($0)" } ?? "waiting for the team")
                    assignment = AssignmentChange(
                        owner: owner, assignee: assignee, reason: reopening ? "reopened by the customer's new message; \(why)" : why)
                }
            }
        } else if contact {
            startsRequest = true
            let team = policy.teamOfAdapter(item.adapter)
            owner = policy.assignment.ownerForNewCustomer(team: team, loads: loads, at: item.receivedAt)
            assignee = owner
            try db.cachedStatement(sql: """
                INSERT INTO conversations (customer_id, status, owner, assignee, team, last_message_at, created_at)
                VALUES (?, 'open', ?, ?, ?, ?, ?)
                """).execute(arguments: [customerID, owner, assignee, team, now, now])
            conversationID = db.lastInsertedRowID
            try noteAssigned(db, owner, loads: &loads)
            let teamText = team.map { "team \($0)" } ?? "any team"
            assignment = AssignmentChange(
                owner: owner, assignee: assignee,
                reason: owner.map { "new customer: \($0) is the least-loaded available agent of \(teamText) and becomes the owner" }
                    ?? "new customer: no agent of \(teamText) is available; waiting for a supervisor")
        } else {
            // Nobody's work yet: kept, visible in the customer's history, reopened by their first real message.
            try db.cachedStatement(sql: """
                INSERT INTO conversations (customer_id, status, team, last_message_at, created_at, resolved_at)
                VALUES (?, 'resolved', ?, ?, ?, ?)
                """).execute(arguments: [customerID, policy.teamOfAdapter(item.adapter), now, now, now])
            conversationID = db.lastInsertedRowID
        }

        // Persist.
        let record = try insertMessage(
            db, conversationID: conversationID, direction: direction, adapter: item.adapter, channel: identity.channel,
            address: message.from.address, threadRef: message.threadRef, externalID: message.externalID,
            inReplyTo: answered.flatMap { $0.conversation == conversationID ? $0.message : nil },
            body: message.text, metadata: encodeMetadata(message.metadata), metadataValue: message.metadata.nilIfEmpty,
            attachments: message.attachments, sentAt: message.sentAt?.epoch, createdAt: now, identityID: identityID)
        if let change = assignment {
            assignment?.event = try insertMessage(
                db, conversationID: conversationID, direction: .event, body: change.reason, createdAt: now)
        }
        for text in relatedEvents {
            related.append(try insertMessage(db, conversationID: conversationID, direction: .event, body: text, createdAt: now))
        }
        guard contact else {
            try db.cachedStatement(sql: "UPDATE conversations SET last_message_at = MAX(last_message_at, ?) WHERE id = ?")
                .execute(arguments: [now, conversationID])
            return IngestOutcome(
                kind: .stored, message: record, conversationID: conversationID, customerID: customerID,
                owner: owner, assignee: assignee, related: related)
        }

        // Clocks run in business hours: the first answer is due `first_response` of open time
        // after the message, a later one `next_response`.
        let hours = policy.businessHours
        let target = answeredBefore ? policy.nextResponse(item.adapter) : policy.firstResponse(item.adapter)
        var due = hours.deadline(from: item.receivedAt, adding: target).epoch
        var warnAt = hours.deadline(from: item.receivedAt, adding: target * 0.8).epoch
        if startsRequest, let resolution = policy.resolution(item.adapter) {
            try db.cachedStatement(sql: "UPDATE conversations SET resolution_due = ?, resolution_breached = 0, resolution_left = NULL WHERE id = ?")
                .execute(arguments: [hours.deadline(from: item.receivedAt, adding: resolution).epoch, conversationID])
        }
        if message.requestsCallback {
            let within = policy.callbackWithin(item.adapter)
            let promised = hours.deadline(from: item.receivedAt, adding: within).epoch
            let callback = try Double.fetchOne(db, sql: """
                UPDATE conversations SET callback_due = MIN(COALESCE(callback_due, ?), ?) WHERE id = ? RETURNING callback_due
                """, arguments: [promised, promised, conversationID]) ?? promised
            due = min(due, callback)
            warnAt = min(warnAt, hours.deadline(from: item.receivedAt, adding: within * 0.8).epoch)
            related.append(try insertMessage(
                db, conversationID: conversationID, direction: .event,
                body: "Call back promised by \(Date(epoch: callback).formatted(.iso8601)) (\(owner.map { "owner \($0)" } ?? "no owner yet"))",
                createdAt: now))
        }
        let dueNow = try Double.fetchOne(db.cachedStatement(sql: """
            UPDATE conversations SET last_message_at = ?, first_response_due = MIN(COALESCE(first_response_due, ?), ?),
                awaiting_since = COALESCE(awaiting_since, ?), sla_warn_at = MIN(COALESCE(sla_warn_at, ?), ?) WHERE id = ?
                RETURNING first_response_due
            """), arguments: [now, due, due, now, warnAt, warnAt, conversationID])
        // Read only when an acknowledgement may follow: most messages continue a request.
        let mayAcknowledge = startsRequest && policy.acknowledgement.enabled
        let previousContact = mayAcknowledge ? try Double.fetchOne(
            db.cachedStatement(sql: "SELECT last_contact_at FROM customers WHERE id = ?"), arguments: [customerID]) ?? nil : nil
        try db.cachedStatement(sql: """
            UPDATE customers SET contacts = contacts + 1, first_contact_at = COALESCE(first_contact_at, ?), last_contact_at = ? WHERE id = ?
            """).execute(arguments: [now, now, customerID])

        var acknowledged = false
        let quiet = policy.acknowledgement.quietPeriod.seconds
        if mayAcknowledge, previousContact.map({ now - $0 >= quiet }) ?? true,
            let template = policy.acknowledgement.template(item.adapter, ReplyContext(
                to: message.from.address, threadRef: message.threadRef, inReplyTo: message.externalID, text: ""))
        {
            let customerName = try String.fetchOne(db, sql: "SELECT name FROM customers WHERE id = ?", arguments: [customerID])
            let text = policy.acknowledgement.render(
                template, reference: ConversationReference.format(conversationID), owner: owner, customer: customerName,
                due: dueNow.map(Date.init(epoch:)))
            let ack = try insertMessage(
                db, conversationID: conversationID, direction: .outbound, adapter: item.adapter, address: message.from.address,
                threadRef: message.threadRef, inReplyTo: record.id, body: text, author: "switchboard",
                metadata: encodeMetadata(["purpose": "acknowledgement"]), metadataValue: ["purpose": "acknowledgement"],
                createdAt: now, delivery: DeliveryInfo(state: .queued, attempts: 0))
            try db.cachedStatement(sql: """
                INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, purpose) VALUES (?, ?, ?, ?, 'acknowledgement')
                """).execute(arguments: [ack.id, item.adapter, message.externalID, now])
            try db.cachedStatement(sql: "UPDATE conversations SET last_ack_at = ? WHERE id = ?").execute(arguments: [now, conversationID])
            related.append(ack)
            acknowledged = true
        }
        return IngestOutcome(
            kind: .stored, message: record, conversationID: conversationID, customerID: customerID,
            owner: owner, assignee: assignee, assignment: assignment, related: related, queuedAcknowledgement: acknowledged)
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
        try db.cachedStatement(sql: """
            INSERT INTO messages (conversation_id, direction, adapter, channel, address, thread_ref, external_id, in_reply_to,
                body, author, metadata, attachments, sent_at, created_at, delivery_state, delivery_attempts, identity_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                conversationID, direction.rawValue, adapter, channel, address, threadRef, externalID, inReplyTo,
                body, author, metadata, attachmentsJSON, sentAt, createdAt, delivery?.state.rawValue, delivery?.attempts, identityID,
            ])
        return MessageRecord(
            id: db.lastInsertedRowID, conversationID: conversationID, direction: direction, adapter: adapter, channel: channel,
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
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT m.id, m.body, m.conversation_id, c.owner, c.assignee FROM messages m JOIN conversations c ON c.id = m.conversation_id
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
            return IngestOutcome(kind: .duplicate, messageID: id, conversationID: row["conversation_id"])
        }
        let attachmentsJSON = message.attachments.isEmpty ? nil : String(decoding: JSONCoding.encode(message.attachments), as: UTF8.self)
        try db.execute(sql: """
            UPDATE messages SET original_body = COALESCE(original_body, body), body = ?, edited_at = ?,
                attachments = COALESCE(?, attachments) WHERE id = ?
            """, arguments: [message.text, (editedAt ?? item.receivedAt).epoch, attachmentsJSON, id])
        return IngestOutcome(
            kind: .edited, message: try messageRecord(db, id: id), conversationID: row["conversation_id"],
            owner: row["owner"], assignee: row["assignee"])
    }

    /// A platform's report on one of our replies. States only move forward: a late `sent` never
    /// overwrites `delivered`.
    private static func applyDeliveryStatus(_ db: Database, adapter: String, update: DeliveryStatusUpdate) throws -> IngestOutcome {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT m.id, m.delivery_state, c.owner, c.assignee FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.adapter = ? AND m.external_id = ? AND m.direction = 'outbound'
                """),
            arguments: [adapter, update.externalID])
        else {
            // Possibly a report that outran the send call's answer: keep it for a while.
            try db.execute(sql: """
                INSERT OR IGNORE INTO early_statuses (adapter, external_id, state, error, received_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [adapter, update.externalID, update.state.rawValue, update.error, Date().epoch])
            try db.execute(sql: "DELETE FROM early_statuses WHERE received_at < ?", arguments: [Date().epoch - 3600])
            return IngestOutcome(kind: .ignored)
        }
        let id: Int64 = row["id"]
        try advanceDelivery(db, message: id, current: row["delivery_state"], to: update.state, error: update.error)
        let record = try messageRecord(db, id: id)
        return IngestOutcome(
            kind: .deliveryUpdated, message: record, conversationID: record?.conversationID,
            owner: row["owner"], assignee: row["assignee"])
    }
}

extension SQLiteStore {
    /// Moves a reply's delivery state forward only: a late `sent` never overwrites `delivered`,
    /// while `failed` may follow anything (a delivered message can still bounce).
    static func advanceDelivery(_ db: Database, message id: Int64, current: String?, to state: DeliveryStatusUpdate.State, error: String?) throws {
        let now = DeliveryState(rawValue: current ?? "queued") ?? .queued
        let next: DeliveryState = switch state {
        case .sent: .sent
        case .delivered, .read: .delivered
        case .failed: .failed
        }
        let rank: [DeliveryState: Int] = [.queued: 0, .sent: 1, .delivered: 2, .failed: 3]
        if rank[next]! > rank[now]! {
            try db.execute(
                sql: "UPDATE messages SET delivery_state = ?, delivery_error = ? WHERE id = ?",
                arguments: [next.rawValue, error, id])
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Dictionary {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
