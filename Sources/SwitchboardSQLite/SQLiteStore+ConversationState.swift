import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Conversation rows as the planners see them: read whole, written whole.
extension SQLiteStore {
    static func conversationState(_ db: Database, id: Int64) throws -> ConversationState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM conversations WHERE id = ?"), arguments: [id]).map(conversationState(row:))
    }

    static func conversationState(_ db: Database, customer: Int64) throws -> ConversationState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM conversations WHERE customer_id = ?"), arguments: [customer])
            .map(conversationState(row:))
    }

    static func conversationState(row: Row) -> ConversationState {
        ConversationState(
            id: row["id"], customerID: row["customer_id"], status: ConversationStatus(rawValue: row["status"]) ?? .open,
            owner: row["owner"], assignee: row["assignee"], team: row["team"], escalated: row["escalated"],
            createdAt: row.date("created_at") ?? Date(epoch: 0), lastMessageAt: row.date("last_message_at") ?? Date(epoch: 0),
            resolvedAt: row.date("resolved_at"), firstResponseDue: row.date("first_response_due"), awaitingSince: row.date("awaiting_since"),
            slaWarnAt: row.date("sla_warn_at"), slaWarned: row["sla_warned"], slaBreached: row["sla_breached"],
            reassignedAt: row.date("reassigned_at"), callbackDue: row.date("callback_due"), lastAcknowledgedAt: row.date("last_ack_at"),
            mergedInto: row["merged_into"], answeredAt: row.date("answered_at"), resolutionDue: row.date("resolution_due"),
            resolutionBreached: row["resolution_breached"], resolutionLeft: row["resolution_left"],
            priority: Priority(rawValue: row["priority"] ?? "normal") ?? .normal, slaPolicy: row["sla_policy"], slaReason: row["sla_reason"])
    }

    /// The columns a plan writes, in the order of ``values(_:)``.
    private static let stateColumns = [
        "status", "owner", "assignee", "team", "escalated", "created_at", "last_message_at", "resolved_at", "first_response_due",
        "awaiting_since", "sla_warn_at", "sla_warned", "sla_breached", "reassigned_at", "callback_due", "last_ack_at", "merged_into",
        "answered_at", "resolution_due", "resolution_breached", "resolution_left", "priority", "sla_policy", "sla_reason",
    ]

    private static func values(_ s: ConversationState) -> [(any DatabaseValueConvertible)?] {
        [
            s.status.rawValue, s.owner, s.assignee, s.team, s.escalated, s.createdAt.epoch, s.lastMessageAt.epoch, s.resolvedAt?.epoch,
            s.firstResponseDue?.epoch, s.awaitingSince?.epoch, s.slaWarnAt?.epoch, s.slaWarned, s.slaBreached, s.reassignedAt?.epoch,
            s.callbackDue?.epoch, s.lastAcknowledgedAt?.epoch, s.mergedInto, s.answeredAt?.epoch, s.resolutionDue?.epoch,
            s.resolutionBreached, s.resolutionLeft, s.priority.rawValue, s.slaPolicy, s.slaReason,
        ]
    }

    private static let insertSQL =
        "INSERT INTO conversations (customer_id, \(stateColumns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: stateColumns.count)))"
    private static let updateSQL = "UPDATE conversations SET \(stateColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?"

    static func insertConversation(_ db: Database, _ state: ConversationState) throws -> Int64 {
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments([state.customerID] + values(state)))
        return db.lastInsertedRowID
    }

    static func writeConversation(_ db: Database, _ state: ConversationState) throws {
        try db.cachedStatement(sql: updateSQL).execute(arguments: StatementArguments(values(state) + [state.id]))
    }

    /// The customer behind `identity`, with what the planner needs of them.
    static func knownCustomer(_ db: Database, identity: ChannelIdentity) throws -> KnownCustomer? {
        try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT i.id, i.customer_id, c.name, c.last_contact_at FROM identities i JOIN customers c ON c.id = i.customer_id
                WHERE i.channel = ? AND i.address = ?
                """),
            arguments: [identity.channel, identity.address]
        ).map { KnownCustomer(id: $0["customer_id"], identity: $0["id"], name: $0["name"], lastContactAt: $0.date("last_contact_at")) }
    }

    public func change(
        conversation id: Int64, routing: Bool, _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad]) throws -> ConversationPlan?
    ) async throws -> AppliedPlan? {
        try await pool.write { db in
            // One writer: nothing to lock; the loads are read only when the plan may use them.
            var loads = routing ? try Self.agentLoads(db) : [:]
            guard let state = try Self.conversationState(db, id: id) else { throw StoreError.missing("conversation \(id)") }
            guard let planned = try plan(state, loads) else { return nil }
            return try Self.apply(db, planned, loads: &loads)
        }
    }

    public func change(
        selecting selections: [ConversationSelection],
        _ plan: @escaping @Sendable ([[ConversationState]], [String: AgentLoad]) throws -> [ConversationPlan]
    ) async throws -> [AppliedPlan] {
        try await pool.write { db in
            var loads = try Self.agentLoads(db)
            let found = try selections.map { try Self.select(db, $0) }
            return try plan(found, loads).map { try Self.apply(db, $0, loads: &loads) }
        }
    }

    static func select(_ db: Database, _ selection: ConversationSelection) throws -> [ConversationState] {
        switch selection {
        case .coveredForOwner(let agent):
            return try Row.fetchAll(db, sql: """
                SELECT * FROM conversations WHERE owner = ? AND status = 'open' AND (assignee IS NULL OR assignee != ?) ORDER BY last_message_at
                """, arguments: [agent, agent]).map(conversationState(row:))
        case .waiting(let teams, let limit):
            guard !teams.isEmpty, limit > 0 else { return [] }
            let placeholders = Array(repeating: "?", count: teams.count).joined(separator: ",")
            return try Row.fetchAll(db, sql: """
                SELECT * FROM conversations WHERE assignee IS NULL AND status = 'open' AND team IN (\(placeholders))
                ORDER BY created_at LIMIT ?
                """, arguments: StatementArguments(teams) + [limit]).map(conversationState(row:))
        }
    }

    static func apply(_ db: Database, _ plan: ConversationPlan, loads: inout [String: AgentLoad]) throws -> AppliedPlan {
        try writeConversation(db, plan.state)
        for change in plan.loads { try applyLoad(db, change, loads: &loads) }
        let ids = PlanIDs(customer: plan.state.customerID, conversation: plan.state.id)
        var records: [MessageRecord] = []
        for message in plan.messages { records.append(try insertPlanned(db, message, ids: ids, identity: nil, earlier: records)) }
        try applyAutomation(db, plan)
        return AppliedPlan(before: plan.before, state: plan.state, messages: records)
    }
}
