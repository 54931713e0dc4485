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
    /// What ``conversationState(_:)`` reads, named (a prepared `SELECT *` would fail once a migration
    /// adds a column: its cached plan must not change its result type).
    static let conversationColumns = (["id", "customer_id"] + stateColumns).joined(separator: ", ")

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

    /// Binds `s`'s columns (``stateColumns``, in order) and returns their placeholders.
    static func bind(_ s: ConversationState, into query: inout PGQuery) -> [String] {
        [
            query.bind(s.status.rawValue), query.bind(s.owner), query.bind(s.assignee), query.bind(s.team), query.bind(s.escalated.int),
            query.bind(s.createdAt.epoch), query.bind(s.lastMessageAt.epoch), query.bind(s.resolvedAt?.epoch),
            query.bind(s.firstResponseDue?.epoch), query.bind(s.awaitingSince?.epoch), query.bind(s.slaWarnAt?.epoch),
            query.bind(s.slaWarned.int), query.bind(s.slaBreached.int), query.bind(s.reassignedAt?.epoch),
            query.bind(s.callbackDue?.epoch), query.bind(s.lastAcknowledgedAt?.epoch), query.bind(s.mergedInto),
            query.bind(s.answeredAt?.epoch), query.bind(s.resolutionDue?.epoch), query.bind(s.resolutionBreached.int),
            query.bind(s.resolutionLeft), query.bind(s.priority.rawValue), query.bind(s.slaPolicy), query.bind(s.slaReason),
        ]
    }

    static func insertConversation(_ db: PGSession, _ state: ConversationState) async throws -> Int64 {
        var query = PGQuery(unsafeSQL: "")
        let placeholders = [query.bind(state.customerID)] + bind(state, into: &query)
        query.append(
            sql: """
                INSERT INTO conversations (customer_id, \(stateColumns.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))
                RETURNING id
                """)
        // UNIQUE (customer_id): a concurrent twin fails here and the group is retried.
        return try await db.prepared.value(query, as: Int64.self)!
    }

    /// Writes `states` (each by id) in one statement, in id order: rows lock in the order every gateway uses.
    static func writeConversations(_ db: PGSession, _ states: [ConversationState]) async throws {
        guard !states.isEmpty else { return }
        try await db.prepared.execute(PGQuery.joined(conversationsUpdate(states)))
    }

    /// The `UPDATE` of ``writeConversations(_:_:)``, to join with other writes.
    static func conversationsUpdate(_ states: [ConversationState]) -> PGWrite {
        let s = states.sorted(by: { $0.id < $1.id })
        return { query, prefix, suffix in
            // One array per column (``stateColumns``, in order): one statement text for any number of rows.
            var arrays = PGRowArrays(rows: s.count, continuing: query)
            let ids = arrays.column("id", "bigint", s.map(\.id))
            stateColumns(s, into: &arrays)
            return arrays.statement(
                prefix + "UPDATE conversations c SET \(stateColumns.map { "\($0) = v.\($0)" }.joined(separator: ", ")) FROM (",
                // `c.id = ANY(…)` as well: the prepared plan then reads the rows by key, never all of them.
                ") AS v WHERE c.id = v.id AND c.id = ANY(\(ids)::bigint[])" + suffix)
        }
    }

    /// The arrays of ``stateColumns``, in order, for a multi-row write of `s`.
    static func stateColumns(_ s: [ConversationState], into arrays: inout PGRowArrays) {
        arrays.column("status", "text", s.map(\.status.rawValue))
        arrays.column("owner", "text", s.map(\.owner), placeholder: "")
        arrays.column("assignee", "text", s.map(\.assignee), placeholder: "")
        arrays.column("team", "text", s.map(\.team), placeholder: "")
        arrays.column("escalated", "bigint", s.map(\.escalated.int))
        arrays.column("created_at", "float8", s.map(\.createdAt.epoch))
        arrays.column("last_message_at", "float8", s.map(\.lastMessageAt.epoch))
        arrays.column("resolved_at", "float8", s.map { $0.resolvedAt?.epoch }, placeholder: 0)
        arrays.column("first_response_due", "float8", s.map { $0.firstResponseDue?.epoch }, placeholder: 0)
        arrays.column("awaiting_since", "float8", s.map { $0.awaitingSince?.epoch }, placeholder: 0)
        arrays.column("sla_warn_at", "float8", s.map { $0.slaWarnAt?.epoch }, placeholder: 0)
        arrays.column("sla_warned", "bigint", s.map(\.slaWarned.int))
        arrays.column("sla_breached", "bigint", s.map(\.slaBreached.int))
        arrays.column("reassigned_at", "float8", s.map { $0.reassignedAt?.epoch }, placeholder: 0)
        arrays.column("callback_due", "float8", s.map { $0.callbackDue?.epoch }, placeholder: 0)
        arrays.column("last_ack_at", "float8", s.map { $0.lastAcknowledgedAt?.epoch }, placeholder: 0)
        arrays.column("merged_into", "bigint", s.map(\.mergedInto), placeholder: 0)
        arrays.column("answered_at", "float8", s.map { $0.answeredAt?.epoch }, placeholder: 0)
        arrays.column("resolution_due", "float8", s.map { $0.resolutionDue?.epoch }, placeholder: 0)
        arrays.column("resolution_breached", "bigint", s.map(\.resolutionBreached.int))
        arrays.column("resolution_left", "float8", s.map(\.resolutionLeft), placeholder: 0)
        arrays.column("priority", "text", s.map(\.priority.rawValue))
        arrays.column("sla_policy", "text", s.map(\.slaPolicy), placeholder: "")
        arrays.column("sla_reason", "text", s.map(\.slaReason), placeholder: "")
    }

    /// Records one load change, keeping `loads` as the database now has them.
    static func applyLoad(_ db: PGSession, _ change: LoadChange, loads: inout [String: AgentLoad]) async throws {
        loads.apply(change)
        switch change {
        case .assigned(let agent):
            try await db.prepared.execute(
                "UPDATE agents SET open_assigned = open_assigned + 1, assign_seq = \(loads[agent]?.lastAssignedSeq ?? 0) WHERE id = \(agent)")
        case .unassigned(let agent):
            try await db.prepared.execute("UPDATE agents SET open_assigned = GREATEST(0, open_assigned - 1) WHERE id = \(agent)")
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
            try await db.prepared.execute(
                """
                INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, quoted, purpose)
                VALUES (\(record.id), \(outbox.adapter), \(outbox.inReplyToExternalID), \(outbox.nextAttemptAt.epoch), \(outbox.quoted.int),
                    \(outbox.purpose.rawValue))
                """)
        }
        return record
    }
}
