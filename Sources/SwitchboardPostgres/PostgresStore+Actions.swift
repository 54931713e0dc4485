import Foundation
import PostgresNIO
import SwitchboardCore

extension PostgresStore {
    public func appendReply(conversation: Int64, author: String, body: String, route: ReplyRoute, at: Date) async throws -> MessageRecord {
        try await write { db in
            let record = try await Self.insertMessage(
                db, conversationID: conversation, direction: .outbound, adapter: route.adapter, address: route.address,
                threadRef: route.threadRef, inReplyTo: route.inReplyTo, body: body, author: author, createdAt: at.epoch,
                delivery: DeliveryInfo(state: .queued, attempts: 0))
            try await db.execute("""
                INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, quoted)
                VALUES (\(record.id), \(route.adapter), \(route.inReplyToExternalID), \(at.epoch), \(route.quoted.int))
                """)
            try await db.execute("""
                UPDATE conversations SET first_response_due = NULL, awaiting_since = NULL, sla_warn_at = NULL, sla_warned = 0,
                    sla_breached = 0, reassigned_at = NULL, callback_due = NULL, answered_at = COALESCE(answered_at, \(at.epoch)),
                    last_message_at = \(at.epoch) WHERE id = \(conversation)
                """)
            return record
        }
    }

    public func appendInternal(conversation: Int64, direction: MessageDirection, author: String?, body: String, at: Date) async throws -> MessageRecord {
        try await write { db in
            try await Self.insertMessage(db, conversationID: conversation, direction: direction, body: body, author: author, createdAt: at.epoch)
        }
    }

    public func reassign(conversation: Int64, assignee: String, owner: String?, escalated: Bool, event: String, author: String?, at: Date) async throws -> MessageRecord {
        try await write { db in
            var loads = try await Self.agentLoads(db, lock: true)
            guard let row = try await db.row("SELECT assignee, status FROM conversations WHERE id = \(conversation) FOR UPDATE") else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            let previous: String? = try row["assignee"]
            let open = (try row["status"] as String) == ConversationStatus.open.rawValue
            try await db.execute("""
                UPDATE conversations SET assignee = \(assignee), owner = COALESCE(\(owner), owner),
                    escalated = GREATEST(escalated, \(escalated.int)) WHERE id = \(conversation)
                """)
            if open && previous != assignee {
                try await Self.noteUnassigned(db, previous, loads: &loads)
                try await Self.noteAssigned(db, assignee, loads: &loads)
            }
            return try await Self.insertMessage(db, conversationID: conversation, direction: .event, body: event, author: author, createdAt: at.epoch)
        }
    }

    public func closeEscalation(conversation: Int64, by agent: String, note: String?, at: Date) async throws -> MessageRecord {
        try await write { db in
            guard let row = try await db.row("SELECT escalated FROM conversations WHERE id = \(conversation) FOR UPDATE") else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            guard try row.flag("escalated") else {
                throw ServiceError(status: 409, code: "not_escalated", message: "conversation \(conversation) is not escalated")
            }
            try await db.execute("UPDATE conversations SET escalated = 0 WHERE id = \(conversation)")
            return try await Self.insertMessage(
                db, conversationID: conversation, direction: .event,
                body: "\(agent) closed the escalation" + (note.map { ": \($0)" } ?? ""), author: agent, createdAt: at.epoch)
        }
    }

    public func resolve(conversation: Int64, author: String, at: Date) async throws -> MessageRecord {
        try await write { db in
            var loads = try await Self.agentLoads(db, lock: true)
            guard let row = try await db.row("SELECT assignee, status FROM conversations WHERE id = \(conversation) FOR UPDATE") else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            let status: String = try row["status"]
            guard status != ConversationStatus.merged.rawValue else {
                throw ServiceError(status: 409, code: "merged", message: "conversation \(conversation) was merged into another")
            }
            guard status != ConversationStatus.resolved.rawValue else {
                throw ServiceError(status: 409, code: "already_resolved", message: "conversation \(conversation) is already resolved")
            }
            try await db.execute("""
                UPDATE conversations SET status = 'resolved', resolved_at = \(at.epoch), first_response_due = NULL, awaiting_since = NULL,
                    sla_warn_at = NULL, sla_warned = 0, sla_breached = 0, reassigned_at = NULL, escalated = 0, callback_due = NULL,
                    resolution_due = NULL, resolution_left = NULL, answered_at = NULL
                WHERE id = \(conversation)
                """)
            try await Self.noteUnassigned(db, try row["assignee"], loads: &loads)
            return try await Self.insertMessage(
                db, conversationID: conversation, direction: .event, body: "Resolved by \(author)", author: author, createdAt: at.epoch)
        }
    }

    // MARK: - Promises

    public func promisesDue(now: Date, staleAfter: Duration?, limit: Int) async throws -> [PromiseDue] {
        try await read { db in
            let columns = "id, owner, assignee, team, status, first_response_due, resolution_due, awaiting_since"
            func due(_ kind: PromiseDue.Kind, _ condition: String, _ values: [Double]) async throws -> [PromiseDue] {
                var binds = PostgresBindings()
                for value in values { binds.append(value) }
                binds.append(limit)
                let sql = "SELECT \(columns) FROM conversations WHERE status = 'open' AND \(condition) ORDER BY id LIMIT $\(binds.count)"
                return try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map {
                    PromiseDue(
                        kind: kind, conversation: try Self.access(row: $0),
                        due: try $0.date(kind == .resolution ? "resolution_due" : "first_response_due"),
                        awaitingSince: try $0.date("awaiting_since"))
                }
            }
            var found = try await due(.breach, "first_response_due <= $1 AND sla_breached = 0", [now.epoch])
            found += try await due(.resolution, "resolution_due <= $1 AND resolution_breached = 0", [now.epoch])
            found += try await due(.warning, "sla_warn_at <= $1 AND sla_warned = 0 AND sla_breached = 0", [now.epoch])
            if let staleAfter {
                let cutoff = now.epoch - staleAfter.seconds
                found += try await due(
                    .stale, "assignee IS NOT NULL AND awaiting_since <= $1 AND (reassigned_at IS NULL OR reassigned_at <= $2)",
                    [cutoff, cutoff])
            }
            return found
        }
    }

    public func markPromise(conversation: Int64, _ kind: PromiseDue.Kind, event: String?, at: Date) async throws -> MessageRecord? {
        try await write { db in
            switch kind {
            case .warning:
                try await db.execute("UPDATE conversations SET sla_warned = 1 WHERE id = \(conversation)")
            case .breach:
                try await db.execute("UPDATE conversations SET sla_breached = 1, sla_warned = 1, escalated = 1 WHERE id = \(conversation)")
            case .stale:
                try await db.execute("UPDATE conversations SET reassigned_at = \(at.epoch) WHERE id = \(conversation)")
            case .resolution:
                try await db.execute("UPDATE conversations SET resolution_breached = 1, escalated = 1 WHERE id = \(conversation)")
            }
            guard let event else { return nil }
            return try await Self.insertMessage(db, conversationID: conversation, direction: .event, body: event, createdAt: at.epoch)
        }
    }

    public func reassignStale(conversation: Int64, from: String?, to: String, reason: String, at: Date) async throws -> AssignmentEvent? {
        try await write { db in
            var loads = try await Self.agentLoads(db, lock: true)
            // Only if nothing changed since the decision (an answer, another reassignment).
            guard let row = try await db.row("""
                SELECT id, assignee, team, owner FROM conversations
                WHERE id = \(conversation) AND status = 'open' AND awaiting_since IS NOT NULL AND assignee IS NOT DISTINCT FROM \(from)
                FOR UPDATE
                """)
            else { return nil }
            let change = try await Self.move(db, row: row, owner: try row["owner"] ?? to, to: to, reason: reason, at: at, loads: &loads)
            try await db.execute("UPDATE conversations SET reassigned_at = \(at.epoch) WHERE id = \(conversation)")
            return change
        }
    }

    // MARK: - Assignment

    public func takeWork(agent: String, teams: [String], returnToOwner: Bool, capacity: Int?, at: Date) async throws -> [AssignmentEvent] {
        try await write { db in
            var loads = try await Self.agentLoads(db, lock: true)
            var changes: [AssignmentEvent] = []
            if returnToOwner {
                let covered = try await db.rows("""
                    SELECT id, assignee, team FROM conversations
                    WHERE owner = \(agent) AND status = 'open' AND (assignee IS NULL OR assignee != \(agent))
                    ORDER BY last_message_at FOR UPDATE
                    """)
                for row in covered {
                    changes.append(try await Self.move(
                        db, row: row, owner: agent, to: agent, reason: "\(agent) is available again: back to the owner", at: at, loads: &loads))
                }
            }
            let room = (capacity ?? Int.max / 2) - (loads[agent]?.openAssigned ?? 0)
            guard room > 0, !teams.isEmpty else { return changes }
            // Oldest first: whoever has waited longest is answered first. SKIP LOCKED: a conversation
            // another gateway is handing out right now is not taken twice.
            let waiting = try await db.rows("""
                SELECT id, assignee, team, owner FROM conversations
                WHERE assignee IS NULL AND status = 'open' AND team = ANY(\(teams)) ORDER BY created_at LIMIT \(room)
                FOR UPDATE SKIP LOCKED
                """)
            for row in waiting {
                let owner: String? = try row["owner"]
                let reason = owner == nil
                    ? "\(agent) is available and takes the waiting conversation as its owner"
                    : "\(agent) is available and covers the waiting conversation; \(owner!) stays the owner"
                changes.append(try await Self.move(db, row: row, owner: owner ?? agent, to: agent, reason: reason, at: at, loads: &loads))
            }
            return changes
        }
    }

    /// Moves one conversation to `to`, keeping the load counters right and recording why.
    static func move(
        _ db: PGSession, row: PGRow, owner: String, to agent: String, reason: String, at: Date, loads: inout [String: AgentLoad]
    ) async throws -> AssignmentEvent {
        let id: Int64 = try row["id"]
        let previous: String? = try row["assignee"]
        try await db.execute("UPDATE conversations SET owner = \(owner), assignee = \(agent) WHERE id = \(id)")
        try await noteUnassigned(db, previous, loads: &loads)
        try await noteAssigned(db, agent, loads: &loads)
        let event = try await insertMessage(db, conversationID: id, direction: .event, body: reason, createdAt: at.epoch)
        return AssignmentEvent(
            conversation: ConversationAccess(id: id, owner: owner, assignee: agent, team: try row["team"], status: .open),
            previousAssignee: previous, event: event)
    }

    public func orphanedConversations() async throws -> [ConversationAccess] {
        try await read { db in
            try await db.rows("""
                SELECT c.id, c.owner, c.assignee, c.team, c.status FROM conversations c
                WHERE c.status = 'open' AND (
                    (c.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.owner AND a.configured = 1)) OR
                    (c.assignee IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.assignee AND a.configured = 1)))
                ORDER BY c.created_at
                """).map(Self.access(row:))
        }
    }

    public func redistribute(conversation: Int64, owner: String?, assignee: String?, reason: String, at: Date) async throws -> AssignmentEvent? {
        try await write { db in
            var loads = try await Self.agentLoads(db, lock: true)
            guard let row = try await db.row("SELECT id, assignee, team FROM conversations WHERE id = \(conversation) FOR UPDATE") else {
                return nil
            }
            let previous: String? = try row["assignee"]
            try await db.execute("UPDATE conversations SET owner = \(owner), assignee = \(assignee) WHERE id = \(conversation)")
            try await db.execute("UPDATE agents SET open_assigned = GREATEST(0, open_assigned - 1) WHERE id = \(previous)")
            try await Self.noteAssigned(db, assignee, loads: &loads)
            let event = try await Self.insertMessage(db, conversationID: conversation, direction: .event, body: reason, createdAt: at.epoch)
            return AssignmentEvent(
                conversation: ConversationAccess(id: conversation, owner: owner, assignee: assignee, team: try row["team"], status: .open),
                previousAssignee: previous, event: event)
        }
    }
}
