import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func takeWork(agent: String, teams: [String], returnToOwner: Bool, capacity: Int?, at: Date) async throws -> [AssignmentEvent] {
        try await pool.write { db in
            var loads = try Self.agentLoads(db)
            var changes: [AssignmentEvent] = []
            if returnToOwner {
                let covered = try Row.fetchAll(db, sql: """
                    SELECT id, assignee, team FROM conversations
                    WHERE owner = ? AND status = 'open' AND (assignee IS NULL OR assignee != ?) ORDER BY last_message_at
                    """, arguments: [agent, agent])
                for row in covered {
                    changes.append(try Self.move(
                        db, row: row, owner: agent, to: agent, reason: "\(agent) is available again: back to the owner", at: at, loads: &loads))
                }
            }
            let room = (capacity ?? Int.max / 2) - (loads[agent]?.openAssigned ?? 0)
            guard room > 0, !teams.isEmpty else { return changes }
            let placeholders = Array(repeating: "?", count: teams.count).joined(separator: ",")
            var arguments: StatementArguments = StatementArguments(teams)
            arguments += [room]
            // Oldest first: whoever has waited longest is answered first.
            let waiting = try Row.fetchAll(db, sql: """
                SELECT id, assignee, team, owner FROM conversations
                WHERE assignee IS NULL AND status = 'open' AND team IN (\(placeholders)) ORDER BY created_at LIMIT ?
                """, arguments: arguments)
            for row in waiting {
                let owner: String? = row["owner"]
                let reason = owner == nil
                    ? "\(agent) is available and takes the waiting conversation as its owner"
                    : "\(agent) is available and covers the waiting conversation; \(owner!) stays the owner"
                changes.append(try Self.move(db, row: row, owner: owner ?? agent, to: agent, reason: reason, at: at, loads: &loads))
            }
            return changes
        }
    }

    /// Moves one conversation to `to`, keeping the load counters right and recording why.
    static func move(
        _ db: Database, row: Row, owner: String, to agent: String, reason: String, at: Date, loads: inout [String: AgentLoad]
    ) throws -> AssignmentEvent {
        let id: Int64 = row["id"]
        let previous: String? = row["assignee"]
        try db.execute(sql: "UPDATE conversations SET owner = ?, assignee = ? WHERE id = ?", arguments: [owner, agent, id])
        try noteUnassigned(db, previous, loads: &loads)
        try noteAssigned(db, agent, loads: &loads)
        let event = try insertMessage(db, conversationID: id, direction: .event, body: reason, createdAt: at.epoch)
        return AssignmentEvent(
            conversation: ConversationAccess(id: id, owner: owner, assignee: agent, team: row["team"], status: .open),
            previousAssignee: previous, event: event)
    }
}

extension SQLiteStore {
    public func orphanedConversations() async throws -> [ConversationAccess] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.owner, c.assignee, c.team, c.status FROM conversations c
                WHERE c.status = 'open' AND (
                    (c.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.owner AND a.configured = 1)) OR
                    (c.assignee IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.assignee AND a.configured = 1)))
                ORDER BY c.created_at
                """).map(Self.access(row:))
        }
    }

    public func redistribute(conversation: Int64, owner: String?, assignee: String?, reason: String, at: Date) async throws -> AssignmentEvent? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, assignee, team FROM conversations WHERE id = ?", arguments: [conversation]) else {
                return nil
            }
            var loads = try Self.agentLoads(db)
            let previous: String? = row["assignee"]
            try db.execute(sql: "UPDATE conversations SET owner = ?, assignee = ? WHERE id = ?", arguments: [owner, assignee, conversation])
            try db.execute(sql: "UPDATE agents SET open_assigned = MAX(0, open_assigned - 1) WHERE id = ?", arguments: [previous])
            try Self.noteAssigned(db, assignee, loads: &loads)
            let event = try Self.insertMessage(db, conversationID: conversation, direction: .event, body: reason, createdAt: at.epoch)
            return AssignmentEvent(
                conversation: ConversationAccess(id: conversation, owner: owner, assignee: assignee, team: row["team"], status: .open),
                previousAssignee: previous, event: event)
        }
    }
}
