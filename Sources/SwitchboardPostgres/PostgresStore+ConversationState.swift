import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Conversation rows as the planners see them: read whole, written whole.
extension PostgresStore {
    static let stateColumns = [
        "status", "owner", "assignee", "team", "escalated", "created_at", "last_message_at", "resolved_at", "first_response_due",
        "awaiting_since", "sla_warn_at", "sla_warned", "sla_breached", "reassigned_at", "callback_due", "last_ack_at", "merged_into",
        "answered_at", "resolution_due", "resolution_breached", "resolution_left", "priority", "sla_policy", "sla_reason",
    ]
    /// Each column's type, for the casts a multi-row `VALUES` list needs.
    static let stateTypes = [
        "text", "text", "text", "text", "int", "float8", "float8", "float8", "float8", "float8", "float8", "int", "int", "float8",
        "float8", "float8", "bigint", "float8", "float8", "int", "float8", "text", "text", "text",
    ]

    static func conversationState(_ row: PGRow) throws -> ConversationState {
        ConversationState(
            id: try row["id"], customerID: try row["customer_id"], status: ConversationStatus(rawValue: try row["status"]) ?? .open,
            owner: try row["owner"], assignee: try row["assignee"], team: try row["team"], escalated: try row.flag("escalated"),
            createdAt: try row.date("created_at") ?? Date(epoch: 0), lastMessageAt: try row.date("last_message_at") ?? Date(epoch: 0),
            resolvedAt: try row.date("resolved_at"), firstResponseDue: try row.date("first_response_due"),
            awaitingSince: try row.date("awaiting_since"), slaWarnAt: try row.date("sla_warn_at"), slaWarned: try row.flag("sla_warned"),
            slaBreached: try row.flag("sla_breached"), reassignedAt: try row.date("reassigned_at"), callbackDue: try row.date("callback_due"),
            lastAcknowledgedAt: try row.date("last_ack_at"), mergedInto: try row["merged_into"], answeredAt: try row.date("answered_at"),
            resolutionDue: try row.date("resolution_due"), resolutionBreached: try row.flag("resolution_breached"),
            resolutionLeft: try row["resolution_left"],
            priority: Priority(rawValue: try row["priority"] as String) ?? .normal, slaPolicy: try row["sla_policy"], slaReason: try row["sla_reason"]
        )
    }

    static func bind(_ s: ConversationState, into binds: inout PostgresBindings) {
        binds.append(s.status.rawValue)
        binds.append(s.owner)
        binds.append(s.assignee)
        binds.append(s.team)
        binds.append(s.escalated.int)
        binds.append(s.createdAt.epoch)
        binds.append(s.lastMessageAt.epoch)
        binds.append(s.resolvedAt?.epoch)
        binds.append(s.firstResponseDue?.epoch)
        binds.append(s.awaitingSince?.epoch)
        binds.append(s.slaWarnAt?.epoch)
        binds.append(s.slaWarned.int)
        binds.append(s.slaBreached.int)
        binds.append(s.reassignedAt?.epoch)
        binds.append(s.callbackDue?.epoch)
        binds.append(s.lastAcknowledgedAt?.epoch)
        binds.append(s.mergedInto)
        binds.append(s.answeredAt?.epoch)
        binds.append(s.resolutionDue?.epoch)
        binds.append(s.resolutionBreached.int)
        binds.append(s.resolutionLeft)
        binds.append(s.priority.rawValue)
        binds.append(s.slaPolicy)
        binds.append(s.slaReason)
    }

    static func insertConversation(_ db: PGSession, _ state: ConversationState) async throws -> Int64 {
        var binds = PostgresBindings(capacity: stateColumns.count + 1)
        binds.append(state.customerID)
        bind(state, into: &binds)
        let placeholders = (1...(stateColumns.count + 1)).map { "$\($0)" }.joined(separator: ", ")
        // UNIQUE (customer_id): a concurrent twin fails here and the group is retried.
        return try await db.value(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO conversations (customer_id, \(stateColumns.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING id
                    """, binds: binds), as: Int64.self)!
    }

    /// Writes `states` (each by id) in one statement, in id order: rows lock in the order every gateway uses.
    static func writeConversations(_ db: PGSession, _ states: [ConversationState]) async throws {
        guard !states.isEmpty else { return }
        let width = stateColumns.count + 1
        var binds = PostgresBindings(capacity: states.count * width)
        var tuples: [String] = []
        for state in states.sorted(by: { $0.id < $1.id }) {
            let first = binds.count + 1
            binds.append(state.id)
            bind(state, into: &binds)
            let types = ["bigint"] + stateTypes
            tuples.append("(" + (0..<width).map { "$\(first + $0)::\(types[$0])" }.joined(separator: ", ") + ")")
        }
        try await db.execute(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE conversations c SET \(stateColumns.map { "\($0) = v.\($0)" }.joined(separator: ", "))
                    FROM (VALUES \(tuples.joined(separator: ", "))) AS v(id, \(stateColumns.joined(separator: ", ")))
                    WHERE c.id = v.id
                    """, binds: binds))
    }

    /// Records one load change, keeping `loads` as the database now has them.
    static func applyLoad(_ db: PGSession, _ change: LoadChange, loads: inout [String: AgentLoad]) async throws {
        loads.apply(change)
        switch change {
        case .assigned(let agent):
            try await db.execute(
                "UPDATE agents SET open_assigned = open_assigned + 1, assign_seq = \(loads[agent]?.lastAssignedSeq ?? 0) WHERE id = \(agent)")
        case .unassigned(let agent):
            try await db.execute("UPDATE agents SET open_assigned = GREATEST(0, open_assigned - 1) WHERE id = \(agent)")
        }
    }

    public func change(
        conversation id: Int64, routing: Bool, _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad]) throws -> ConversationPlan?
    ) async throws -> AppliedPlan? {
        try await write { db in
            // The agents' rows first, always in id order, then the conversation: the order ingestion uses.
            var loads = routing ? try await Self.agentLoads(db, lock: true) : [:]
            guard let row = try await db.row("SELECT * FROM conversations WHERE id = \(id) FOR UPDATE") else {
                throw StoreError.missing("conversation \(id)")
            }
            guard let planned = try plan(try Self.conversationState(row), loads) else { return nil }
            return try await Self.apply(db, planned, loads: &loads)
        }
    }

    public func change(
        selecting selections: [ConversationSelection],
        _ plan: @escaping @Sendable ([[ConversationState]], [String: AgentLoad]) throws -> [ConversationPlan]
    ) async throws -> [AppliedPlan] {
        try await write { db in
            var loads = try await Self.agentLoads(db, lock: true)
            var found: [[ConversationState]] = []
            for selection in selections { found.append(try await Self.select(db, selection)) }
            var applied: [AppliedPlan] = []
            for planned in try plan(found, loads) { applied.append(try await Self.apply(db, planned, loads: &loads)) }
            return applied
        }
    }

    static func select(_ db: PGSession, _ selection: ConversationSelection) async throws -> [ConversationState] {
        switch selection {
        case .coveredForOwner(let agent):
            return try await db.rows(
                """
                SELECT * FROM conversations WHERE owner = \(agent) AND status = 'open' AND (assignee IS NULL OR assignee <> \(agent))
                ORDER BY last_message_at FOR UPDATE
                """
            ).map(conversationState)
        case .waiting(let teams, let limit):
            guard !teams.isEmpty, limit > 0 else { return [] }
            // SKIP LOCKED: another gateway handing the same waiting work to someone else keeps it.
            return try await db.rows(
                """
                SELECT * FROM conversations WHERE assignee IS NULL AND status = 'open' AND team = ANY(\(teams))
                ORDER BY created_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """
            ).map(conversationState)
        }
    }

    static func apply(_ db: PGSession, _ plan: ConversationPlan, loads: inout [String: AgentLoad]) async throws -> AppliedPlan {
        try await writeConversations(db, [plan.state])
        for change in plan.loads { try await applyLoad(db, change, loads: &loads) }
        let ids = PlanIDs(customer: plan.state.customerID, conversation: plan.state.id)
        var records: [MessageRecord] = []
        for message in plan.messages {
            records.append(try await insertPlanned(db, message, ids: ids, identity: nil, earlier: records, buffer: nil))
        }
        try await applyAutomation(db, plan)
        return AppliedPlan(before: plan.before, state: plan.state, messages: records)
    }

    /// Inserts one planned message (buffered with `buffer`) and its outbox row, which needs the
    /// message row written first.
    static func insertPlanned(
        _ db: PGSession, _ message: PlannedMessage, ids: PlanIDs, identity: Int64?, earlier: [MessageRecord], buffer: PostgresMessageBuffer?
    ) async throws -> MessageRecord {
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
        let record = try await insertMessage(
            db, conversationID: ids.conversation, direction: message.direction, adapter: message.adapter, channel: message.channel,
            address: message.address, threadRef: message.threadRef, externalID: message.externalID, inReplyTo: inReplyTo,
            body: message.body.text(ids), author: message.author, metadata: message.metadata.flatMap(encodeMetadata),
            metadataValue: message.metadata, attachments: message.attachments, sentAt: message.sentAt?.epoch,
            createdAt: message.createdAt.epoch, delivery: message.delivery, identityID: identityID, buffer: buffer)
        if let outbox = message.outbox {
            try await buffer?.flush(db)
            try await db.execute(
                """
                INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, quoted, purpose)
                VALUES (\(record.id), \(outbox.adapter), \(outbox.inReplyToExternalID), \(outbox.nextAttemptAt.epoch), \(outbox.quoted.int),
                    \(outbox.purpose.rawValue))
                """)
        }
        return record
    }
}
