import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore
import Synchronization

/// Conversation rows as the planners see them: read whole, written whole.
extension SQLiteStore {
    static func conversationState(_ db: Database, id: Int64) throws -> ConversationState? {
        try db.cachedStatement(sql: stateByID).first([id], conversationState(row:))
    }

    static func conversationState(_ db: Database, customer: Int64) throws -> ConversationState? {
        try db.cachedStatement(sql: stateByCustomer).first([customer], conversationState(row:))
    }

    private static let stateByID = "SELECT \(stateSelection) FROM conversations WHERE id = ?"
    private static let stateByCustomer = "SELECT \(stateSelection) FROM conversations WHERE customer_id = ?"

    /// Read by position: a row's lookup by name lowercases the name on every call, which was the
    /// costliest part of reading a snapshot on the ingest path.
    static func conversationState(row: StepColumns) -> ConversationState {
        func date(_ index: Int) -> Date? { (row[index] as Double?).map(Date.init(epoch:)) }
        return ConversationState(
            id: row[0], customerID: row[1], status: ConversationStatus(rawValue: row[2]) ?? .open,
            owner: row[3], assignee: row[4], team: row[5], escalated: row[6],
            createdAt: date(7) ?? Date(epoch: 0), lastMessageAt: date(8) ?? Date(epoch: 0),
            resolvedAt: date(9), firstResponseDue: date(10), awaitingSince: date(11),
            slaWarnAt: date(12), slaWarned: row[13], slaBreached: row[14],
            reassignedAt: date(15), callbackDue: date(16), lastAcknowledgedAt: date(17),
            mergedInto: row[18], answeredAt: date(19), resolutionDue: date(20),
            resolutionBreached: row[21], resolutionLeft: row[22],
            priority: Priority(rawValue: row[23] ?? "normal") ?? .normal, slaPolicy: row[24], slaReason: row[25])
    }

    /// The columns ``conversationState(row:)`` reads, in its order.
    private static let stateColumnNames = ["id", "customer_id"] + stateColumns.map(\.name)
    static let stateSelection = stateColumnNames.joined(separator: ", ")

    /// One column a plan writes: whether two states differ in it, and its value in one.
    private struct StateColumn: Sendable {
        let name: String
        let differs: @Sendable (ConversationState, ConversationState) -> Bool
        let value: @Sendable (ConversationState) -> DatabaseValue

        init<V: DatabaseValueConvertible & Equatable & SendableMetatype>(_ name: String, _ get: @escaping @Sendable (ConversationState) -> V) {
            self.name = name
            differs = { get($0) != get($1) }
            value = { get($0).databaseValue }
        }

        init<V: DatabaseValueConvertible & Equatable & SendableMetatype>(_ name: String, _ get: @escaping @Sendable (ConversationState) -> V?) {
            self.name = name
            differs = { get($0) != get($1) }
            value = { get($0)?.databaseValue ?? .null }
        }
    }

    /// The columns a plan writes, in ``conversationState(row:)``'s order after the ids. Compared
    /// typed, so a message that changes three columns converts three values, not forty-eight.
    private static let stateColumns: [StateColumn] = [
        StateColumn("status") { $0.status.rawValue }, StateColumn("owner") { $0.owner }, StateColumn("assignee") { $0.assignee },
        StateColumn("team") { $0.team }, StateColumn("escalated") { $0.escalated }, StateColumn("created_at") { $0.createdAt.epoch },
        StateColumn("last_message_at") { $0.lastMessageAt.epoch }, StateColumn("resolved_at") { $0.resolvedAt?.epoch },
        StateColumn("first_response_due") { $0.firstResponseDue?.epoch }, StateColumn("awaiting_since") { $0.awaitingSince?.epoch },
        StateColumn("sla_warn_at") { $0.slaWarnAt?.epoch }, StateColumn("sla_warned") { $0.slaWarned },
        StateColumn("sla_breached") { $0.slaBreached }, StateColumn("reassigned_at") { $0.reassignedAt?.epoch },
        StateColumn("callback_due") { $0.callbackDue?.epoch }, StateColumn("last_ack_at") { $0.lastAcknowledgedAt?.epoch },
        StateColumn("merged_into") { $0.mergedInto }, StateColumn("answered_at") { $0.answeredAt?.epoch },
        StateColumn("resolution_due") { $0.resolutionDue?.epoch }, StateColumn("resolution_breached") { $0.resolutionBreached },
        StateColumn("resolution_left") { $0.resolutionLeft }, StateColumn("priority") { $0.priority.rawValue },
        StateColumn("sla_policy") { $0.slaPolicy }, StateColumn("sla_reason") { $0.slaReason },
    ]

    private static func values(_ s: ConversationState) -> [DatabaseValue] {
        stateColumns.map { $0.value(s) }
    }

    private static let insertSQL =
        "INSERT INTO conversations (customer_id, \(stateColumns.map(\.name).joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: stateColumns.count)))"
    private static let updateSQL = "UPDATE conversations SET \(stateColumns.map { "\($0.name) = ?" }.joined(separator: ", ")) WHERE id = ?"

    /// The UPDATE of each set of changed columns met so far, by its bit mask (a handful occur: a new
    /// message, a reassignment, a status change).
    private static let partialUpdates = Mutex<[UInt32: String]>([:])

    static func insertConversation(_ db: Database, _ state: ConversationState) throws -> Int64 {
        try db.cachedStatement(sql: insertSQL).execute(
            arguments: StatementArguments(databaseValues: [state.customerID.databaseValue] + values(state)))
        return db.lastInsertedRowID
    }

    /// Writes the row whole, or with `before` (the row as this transaction read it) only the columns
    /// that changed: a column named in an UPDATE makes SQLite rewrite every index holding it, and
    /// `status` alone is in eight of them.
    static func writeConversation(_ db: Database, _ state: ConversationState, before: ConversationState? = nil) throws {
        guard let before, before.id == state.id else {
            return try db.cachedStatement(sql: updateSQL).execute(
                arguments: StatementArguments(databaseValues: values(state) + [state.id.databaseValue]))
        }
        var changed: UInt32 = 0
        var arguments: [DatabaseValue] = []
        for (index, column) in stateColumns.enumerated() where column.differs(state, before) {
            changed |= 1 << index
            arguments.append(column.value(state))
        }
        guard changed != 0 else { return }
        arguments.append(state.id.databaseValue)
        let sql = partialUpdates.withLock { known in
            if let sql = known[changed] { return sql }
            let columns = stateColumns.indices.filter { changed & (1 << $0) != 0 }.map { "\(stateColumns[$0].name) = ?" }
            let sql = "UPDATE conversations SET \(columns.joined(separator: ", ")) WHERE id = ?"
            known[changed] = sql
            return sql
        }
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(databaseValues: arguments))
    }

    /// The customer behind `identity`, with what the planner needs of them, and their conversation:
    /// one read for what most messages (a returning customer's) look up.
    static func customerAndConversation(
        _ db: Database, identity: ChannelIdentity
    ) throws -> (customer: KnownCustomer, conversation: ConversationState?)? {
        try db.cachedStatement(sql: customerByIdentity).first([identity.channel, identity.address]) { row in
            let customer = KnownCustomer(id: row[1], identity: row[0], name: row[2], lastContactAt: (row[3] as Double?).map(Date.init(epoch:)))
            let conversation = (row[4] as Int64?) == nil ? nil : conversationState(row: row.dropping(4))
            return (customer, conversation)
        }
    }

    /// A customer's conversation is unique (`conversations.customer_id`): the join gives one row.
    private static let customerByIdentity = """
        SELECT i.id, i.customer_id, cu.name, cu.last_contact_at, \(stateColumnNames.map { "c." + $0 }.joined(separator: ", "))
        FROM identities i JOIN customers cu ON cu.id = i.customer_id LEFT JOIN conversations c ON c.customer_id = i.customer_id
        WHERE i.channel = ? AND i.address = ?
        """

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
            return try db.makeStatement(
                sql: """
                    SELECT \(stateSelection) FROM conversations WHERE owner = ? AND status = 'open' AND (assignee IS NULL OR assignee != ?) ORDER BY last_message_at
                    """
            ).all([agent, agent], conversationState(row:))
        case .waiting(let teams, let limit):
            guard !teams.isEmpty, limit > 0 else { return [] }
            let placeholders = Array(repeating: "?", count: teams.count).joined(separator: ",")
            return try db.makeStatement(
                sql: """
                    SELECT \(stateSelection) FROM conversations WHERE assignee IS NULL AND status = 'open' AND team IN (\(placeholders))
                    ORDER BY created_at LIMIT ?
                    """
            ).all(StatementArguments(teams) + [limit], conversationState(row:))
        }
    }

    static func apply(_ db: Database, _ plan: ConversationPlan, loads: inout [String: AgentLoad]) throws -> AppliedPlan {
        try writeConversation(db, plan.state, before: plan.before)
        for change in plan.loads { try applyLoad(db, change, loads: &loads) }
        let ids = PlanIDs(customer: plan.state.customerID, conversation: plan.state.id)
        var records: [MessageRecord] = []
        for message in plan.messages { records.append(try insertPlanned(db, message, ids: ids, identity: nil, earlier: records)) }
        try applyAutomation(db, plan)
        return AppliedPlan(before: plan.before, state: plan.state, messages: records)
    }
}
