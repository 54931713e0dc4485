import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// What rules and SLA policies read and write.
extension SQLiteStore {
    public func conversationFacts(conversation id: Int64, message: Int64?) async throws -> ConversationFacts? {
        try await pool.read { db in try Self.facts(db, conversation: id, message: message) }
    }

    static func facts(_ db: Database, conversation id: Int64, message: Int64?) throws -> ConversationFacts? {
        guard let state = try conversationState(db, id: id) else { return nil }
        let customer = try Row.fetchOne(db, sql: "SELECT name, contacts FROM customers WHERE id = ?", arguments: [state.customerID])
        let identities = try identities(db, customer: state.customerID)
        let tags = try String.fetchAll(db, sql: "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag", arguments: [id])
        var row: Row?
        if let message {
            row = try Row.fetchOne(db, sql: "SELECT * FROM messages WHERE id = ? AND conversation_id = ?", arguments: [message, id])
        }
        if row == nil {
            row = try Row.fetchOne(
                db,
                sql: """
                    SELECT * FROM messages WHERE conversation_id = ? AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1
                    """, arguments: [id])
        }
        return ConversationFacts(
            state: state, tags: tags, customerName: customer?["name"], contacts: customer?["contacts"] ?? 0, identities: identities,
            message: row.map(messageRecord(row:)))
    }
}

/// The automation queue and rules' firings.
extension SQLiteStore {
    public func enqueue(_ events: [QueuedEvent]) async throws {
        guard !events.isEmpty else { return }
        try await pool.write { db in try Self.enqueue(db, events) }
    }

    static func enqueue(_ db: Database, _ events: [QueuedEvent]) throws {
        for event in events {
            try db.cachedStatement(
                sql: """
                    INSERT INTO automation_queue (consumer, conversation_id, event_type, payload, cause, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                event.consumer, event.conversationID, event.type, event.payload, event.cause, event.notBefore.epoch, event.createdAt.epoch,
            ])
        }
    }

    static func queuedItem(row: Row) -> QueuedItem {
        QueuedItem(
            id: row["id"], consumer: row["consumer"], conversationID: row["conversation_id"], type: row["event_type"],
            payload: row["payload"], cause: row["cause"], state: QueueState(rawValue: row["state"]) ?? .queued, attempts: row["attempts"],
            lastError: row["last_error"], createdAt: row.date("created_at") ?? Date(epoch: 0),
            nextAttemptAt: row.date("next_attempt_at") ?? Date(epoch: 0), doneAt: row.date("done_at"))
    }

    public func claimQueued(consumer: String, now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [QueuedItem] {
        try await pool.write { db in
            // Each conversation's oldest queued event only: its later ones wait for it.
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT q.* FROM automation_queue q
                        WHERE q.consumer = ?1 AND q.state = 'queued' AND q.next_attempt_at <= ?2 AND (q.lease_until IS NULL OR q.lease_until < ?2)
                          AND NOT EXISTS (SELECT 1 FROM automation_queue e WHERE e.consumer = ?1 AND e.state = 'queued'
                                          AND e.conversation_id = q.conversation_id AND e.id < q.id)
                        ORDER BY q.id LIMIT ?3
                        """), arguments: [consumer, now.epoch, limit])
            for row in rows {
                try db.cachedStatement(sql: "UPDATE automation_queue SET claimed_by = ?, lease_until = ? WHERE id = ?")
                    .execute(arguments: [claimer, leaseUntil.epoch, row["id"] as Int64])
            }
            return rows.map(Self.queuedItem(row:))
        }
    }

    public func completeQueued(_ completions: [QueueCompletion], at: Date) async throws {
        guard !completions.isEmpty else { return }
        try await pool.write { db in
            for completion in completions { try Self.complete(db, id: completion.id, result: completion.result, at: at) }
        }
    }

    static func complete(_ db: Database, id: Int64, result: QueueResult, at: Date) throws {
        switch result {
        case .done(keep: false):
            try db.execute(sql: "DELETE FROM automation_queue WHERE id = ? AND state = 'queued'", arguments: [id])
        case .done(keep: true):
            try db.execute(
                sql: """
                    UPDATE automation_queue SET state = 'delivered', attempts = attempts + 1, done_at = ?, claimed_by = NULL, lease_until = NULL
                    WHERE id = ? AND state = 'queued'
                    """, arguments: [at.epoch, id])
        case .retry(let error, let retryAt):
            try db.execute(
                sql: """
                    UPDATE automation_queue SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, lease_until = NULL
                    WHERE id = ? AND state = 'queued'
                    """, arguments: [error, retryAt.epoch, id])
        case .failed(let error):
            try db.execute(
                sql: """
                    UPDATE automation_queue SET state = 'failed', attempts = attempts + 1, last_error = ?, done_at = ?, claimed_by = NULL,
                        lease_until = NULL
                    WHERE id = ? AND state = 'queued'
                    """, arguments: [error, at.epoch, id])
        }
    }

    public func queuedEvents(consumer: String, state: QueueState?, before: Int64?, limit: Int) async throws -> [QueuedItem] {
        try await pool.read { db in
            var sql = "SELECT * FROM automation_queue WHERE consumer = ?"
            var arguments: StatementArguments = [consumer]
            if let state {
                sql += " AND state = ?"
                arguments += [state.rawValue]
            }
            if let before {
                sql += " AND id < ?"
                arguments += [before]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.queuedItem(row:))
        }
    }

    public func replayQueued(consumer: String, ids: [Int64]?, at: Date) async throws -> Int {
        try await pool.write { db in
            var sql = """
                UPDATE automation_queue SET state = 'queued', attempts = 0, next_attempt_at = ?, done_at = NULL, claimed_by = NULL, lease_until = NULL
                WHERE consumer = ? AND state = 'failed'
                """
            var arguments: StatementArguments = [at.epoch, consumer]
            if let ids {
                guard !ids.isEmpty else { return 0 }
                sql += " AND id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))"
                arguments += StatementArguments(ids)
            }
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }

    public func nextQueuedDue(consumer: String) async throws -> Date? {
        try await pool.read { db in
            // Only each conversation's head can be taken; a leased head when its lease runs out.
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(MAX(q.next_attempt_at, COALESCE(q.lease_until, 0))) FROM automation_queue q
                    WHERE q.consumer = ?1 AND q.state = 'queued'
                      AND NOT EXISTS (SELECT 1 FROM automation_queue e WHERE e.consumer = ?1 AND e.state = 'queued'
                                      AND e.conversation_id = q.conversation_id AND e.id < q.id)
                    """, arguments: [consumer]
            ).map(Date.init(epoch:))
        }
    }

    public func pruneQueued(consumer: String, deliveredBefore: Date, expire: QueueExpiry?, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM automation_queue WHERE consumer = ? AND state = 'delivered' AND done_at < ?
                    """, arguments: [consumer, deliveredBefore.epoch])
            if let expire {
                try db.execute(
                    sql: """
                        UPDATE automation_queue SET state = 'failed', done_at = ?1, last_error = ?4 || COALESCE(last_error, ?5)
                        WHERE consumer = ?2 AND state = 'queued' AND created_at < ?3 AND (lease_until IS NULL OR lease_until < ?1)
                        """, arguments: [at.epoch, consumer, expire.before.epoch, expire.prefix, expire.neverAttempted])
            }
        }
    }

    public func applyRule(
        _ firing: RuleFiring, conversation id: Int64,
        _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad], Int) throws -> ConversationPlan?
    ) async throws -> RuleApplication {
        try await pool.write { db in
            var loads = try Self.agentLoads(db)
            guard let state = try Self.conversationState(db, id: id) else { throw StoreError.missing("conversation \(id)") }
            let fired =
                try Bool.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT EXISTS (SELECT 1 FROM rule_firings WHERE rule_id = ?1 AND conversation_id = ?2
                                AND (firing_key = ?3 OR (?4 IS NOT NULL AND fired_at >= ?4)))
                            """), arguments: [firing.rule, id, firing.key, firing.onceSince?.epoch]) ?? false
            if fired { return .alreadyFired }
            let recent =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT COUNT(*) FROM rule_firings WHERE conversation_id = ? AND fired_at >= ?
                            """), arguments: [id, firing.recentSince.epoch]) ?? 0
            guard let planned = try plan(state, loads, recent) else { return .declined(firedRecently: recent) }
            let applied = try Self.apply(db, planned, loads: &loads)
            try db.cachedStatement(sql: "INSERT INTO rule_firings (rule_id, conversation_id, firing_key, fired_at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [firing.rule, id, firing.key, firing.at.epoch])
            return .applied(applied)
        }
    }

    public func activeConversations(after id: Int64, limit: Int) async throws -> [Int64] {
        try await pool.read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT id FROM conversations WHERE status IN ('open', 'pending') AND id > ? ORDER BY id LIMIT ?
                    """, arguments: [id, limit])
        }
    }

    public func releaseAcknowledgements(conversation: Int64, at: Date) async throws {
        try await pool.write { db in try Self.settleAcknowledgements(db, conversation: conversation, .release, at: at) }
    }

    /// Acknowledgements of the conversation still in the outbox and not being sent: released, or withheld.
    static func settleAcknowledgements(_ db: Database, conversation: Int64, _ held: HeldAcknowledgements, at: Date) throws {
        let ids = try Int64.fetchAll(
            db,
            sql: """
                SELECT o.message_id FROM outbox o JOIN messages m ON m.id = o.message_id
                WHERE m.conversation_id = ? AND o.purpose = 'acknowledgement' AND o.claimed_by IS NULL
                """, arguments: [conversation])
        for id in ids {
            switch held {
            case .release:
                try db.execute(sql: "UPDATE outbox SET next_attempt_at = MIN(next_attempt_at, ?) WHERE message_id = ?", arguments: [at.epoch, id])
            case .withhold(let reason):
                try db.execute(sql: "DELETE FROM outbox WHERE message_id = ?", arguments: [id])
                try db.execute(sql: "UPDATE messages SET delivery_state = 'failed', delivery_error = ? WHERE id = ?", arguments: [reason, id])
            }
        }
    }

    /// A plan's tags, held acknowledgements and queued events, in its transaction.
    static func applyAutomation(_ db: Database, _ plan: ConversationPlan) throws {
        if let added = plan.addTags {
            for tag in added.tags {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO conversation_tags (conversation_id, tag, added_by, added_at) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [plan.state.id, tag, added.by, Date().epoch])
            }
        }
        if let held = plan.acknowledgements { try settleAcknowledgements(db, conversation: plan.state.id, held, at: Date()) }
        try enqueue(db, plan.enqueue)
    }
}
