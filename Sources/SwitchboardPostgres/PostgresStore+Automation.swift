import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// What rules and SLA policies read and write.
extension PostgresStore {
    public func conversationFacts(conversation id: Int64, message: Int64?) async throws -> ConversationFacts? {
        try await read { db in try await Self.facts(db, conversation: id, message: message) }
    }

    static func facts(_ db: PGSession, conversation id: Int64, message: Int64?) async throws -> ConversationFacts? {
        guard let row = try await db.row("SELECT * FROM conversations WHERE id = \(id)") else { return nil }
        let state = try conversationState(row)
        let customer = try await db.row("SELECT name, contacts FROM customers WHERE id = \(state.customerID)")
        let identities = try await identities(db, customer: state.customerID)
        let tags = try await db.values("SELECT tag FROM conversation_tags WHERE conversation_id = \(id) ORDER BY tag", as: String.self)
        var found: PGRow?
        if let message {
            found = try await db.row("SELECT * FROM messages WHERE id = \(message) AND conversation_id = \(id)")
        }
        if found == nil {
            found = try await db.row(
                """
                SELECT * FROM messages WHERE conversation_id = \(id) AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1
                """)
        }
        let contacts: Int? = try customer.map { try $0["contacts"] as Int }
        let name: String? = try customer.flatMap { try $0["name"] as String? }
        return ConversationFacts(
            state: state, tags: tags, customerName: name, contacts: contacts ?? 0, identities: identities,
            message: try found.map(messageRecord(row:)))
    }
}

/// The automation queue and rules' firings. Claims take `FOR UPDATE SKIP LOCKED` under a lease, as
/// the outbox does, so several gateways share the queue and a dead one's claims come back.
extension PostgresStore {
    public func enqueue(_ events: [QueuedEvent]) async throws {
        guard !events.isEmpty else { return }
        try await write { db in try await Self.enqueue(db, events) }
    }

    /// One multi-row INSERT for all of `events`.
    static func enqueue(_ db: PGSession, _ events: [QueuedEvent]) async throws {
        guard !events.isEmpty else { return }
        try await db.prepared.execute(
            """
            INSERT INTO automation_queue (consumer, conversation_id, event_type, payload, cause, next_attempt_at, created_at)
            SELECT c, v, t, p, NULLIF(r, ''), n, a
            FROM unnest(\(events.map(\.consumer))::text[], \(events.map(\.conversationID))::bigint[], \(events.map(\.type))::text[],
                \(events.map(\.payload))::text[], \(events.map { $0.cause ?? "" })::text[], \(events.map(\.notBefore.epoch))::float8[],
                \(events.map(\.createdAt.epoch))::float8[]) AS x(c, v, t, p, r, n, a)
            """)
    }

    static func queuedItem(_ row: PGRow) throws -> QueuedItem {
        QueuedItem(
            id: try row["id"], consumer: try row["consumer"], conversationID: try row["conversation_id"], type: try row["event_type"],
            payload: try row["payload"], cause: try row["cause"], state: QueueState(rawValue: try row["state"]) ?? .queued,
            attempts: try row["attempts"], lastError: try row["last_error"], createdAt: try row.date("created_at") ?? Date(epoch: 0),
            nextAttemptAt: try row.date("next_attempt_at") ?? Date(epoch: 0), doneAt: try row.date("done_at"))
    }

    public func claimQueued(consumer: String, now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [QueuedItem] {
        try await write { db in
            // Each conversation's oldest queued event only; SKIP LOCKED leaves other gateways' claims alone.
            let rows = try await db.rows(
                """
                SELECT q.* FROM automation_queue q
                WHERE q.consumer = \(consumer) AND q.state = 'queued' AND q.next_attempt_at <= \(now.epoch)
                  AND (q.lease_until IS NULL OR q.lease_until < \(now.epoch))
                  AND NOT EXISTS (SELECT 1 FROM automation_queue e WHERE e.consumer = q.consumer AND e.state = 'queued'
                                  AND e.conversation_id = q.conversation_id AND e.id < q.id)
                ORDER BY q.id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """)
            let items = try rows.map(Self.queuedItem)
            if !items.isEmpty {
                try await db.execute(
                    """
                    UPDATE automation_queue SET claimed_by = \(claimer), lease_until = \(leaseUntil.epoch) WHERE id = ANY(\(items.map(\.id)))
                    """)
            }
            return items
        }
    }

    public func completeQueued(_ completions: [QueueCompletion], at: Date) async throws {
        guard !completions.isEmpty else { return }
        try await write { db in
            for completion in completions { try await Self.complete(db, id: completion.id, result: completion.result, at: at) }
        }
    }

    static func complete(_ db: PGSession, id: Int64, result: QueueResult, at: Date) async throws {
        switch result {
        case .done(keep: false):
            try await db.execute("DELETE FROM automation_queue WHERE id = \(id) AND state = 'queued'")
        case .done(keep: true):
            try await db.execute(
                """
                UPDATE automation_queue SET state = 'delivered', attempts = attempts + 1, done_at = \(at.epoch), claimed_by = NULL,
                    lease_until = NULL
                WHERE id = \(id) AND state = 'queued'
                """)
        case .retry(let error, let retryAt):
            try await db.execute(
                """
                UPDATE automation_queue SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(retryAt.epoch),
                    claimed_by = NULL, lease_until = NULL
                WHERE id = \(id) AND state = 'queued'
                """)
        case .failed(let error):
            try await db.execute(
                """
                UPDATE automation_queue SET state = 'failed', attempts = attempts + 1, last_error = \(error), done_at = \(at.epoch),
                    claimed_by = NULL, lease_until = NULL
                WHERE id = \(id) AND state = 'queued'
                """)
        }
    }

    public func queuedEvents(consumer: String, state: QueueState?, before: Int64?, limit: Int) async throws -> [QueuedItem] {
        try await read { db in
            try await db.rows(
                """
                SELECT * FROM automation_queue WHERE consumer = \(consumer)
                  AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue)::text)
                  AND (\(before)::bigint IS NULL OR id < \(before)::bigint)
                ORDER BY id DESC LIMIT \(limit)
                """
            ).map(Self.queuedItem)
        }
    }

    public func replayQueued(consumer: String, ids: [Int64]?, at: Date) async throws -> Int {
        if let ids, ids.isEmpty { return 0 }
        return try await write { db in
            try await db.count(
                """
                UPDATE automation_queue SET state = 'queued', attempts = 0, next_attempt_at = \(at.epoch), done_at = NULL, claimed_by = NULL,
                    lease_until = NULL
                WHERE consumer = \(consumer) AND state = 'failed' AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids)::bigint[]))
                RETURNING 1
                """)
        }
    }

    public func nextQueuedDue(consumer: String) async throws -> Date? {
        try await read { db in
            try await db.value(
                """
                SELECT MIN(GREATEST(q.next_attempt_at, COALESCE(q.lease_until, 0))) FROM automation_queue q
                WHERE q.consumer = \(consumer) AND q.state = 'queued'
                  AND NOT EXISTS (SELECT 1 FROM automation_queue e WHERE e.consumer = q.consumer AND e.state = 'queued'
                                  AND e.conversation_id = q.conversation_id AND e.id < q.id)
                """, as: Double.self
            ).map(Date.init(epoch:))
        }
    }

    public func pruneQueued(consumer: String, deliveredBefore: Date, expire: QueueExpiry?, at: Date) async throws {
        try await write { db in
            try await db.execute(
                """
                DELETE FROM automation_queue WHERE consumer = \(consumer) AND state = 'delivered' AND done_at < \(deliveredBefore.epoch)
                """)
            if let expire {
                try await db.execute(
                    """
                    UPDATE automation_queue SET state = 'failed', done_at = \(at.epoch),
                        last_error = \(expire.prefix) || COALESCE(last_error, \(expire.neverAttempted))
                    WHERE consumer = \(consumer) AND state = 'queued' AND created_at < \(expire.before.epoch)
                      AND (lease_until IS NULL OR lease_until < \(at.epoch))
                    """)
            }
        }
    }

    public func applyRule(
        _ firing: RuleFiring, conversation id: Int64,
        _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad], Int) throws -> ConversationPlan?
    ) async throws -> RuleApplication {
        try await write { db in
            // The order every routing change uses: the agents' rows, then the conversation's.
            var loads = try await Self.agentLoads(db, lock: true)
            guard let row = try await db.row("SELECT * FROM conversations WHERE id = \(id) FOR UPDATE") else {
                throw StoreError.missing("conversation \(id)")
            }
            let state = try Self.conversationState(row)
            let fired =
                try await db.value(
                    """
                    SELECT EXISTS (SELECT 1 FROM rule_firings WHERE rule_id = \(firing.rule) AND conversation_id = \(id)
                        AND (firing_key = \(firing.key) OR (\(firing.onceSince?.epoch)::float8 IS NOT NULL AND fired_at >= \(firing.onceSince?.epoch)::float8)))
                    """, as: Bool.self) ?? false
            if fired { return .alreadyFired }
            let recent =
                try await db.value(
                    """
                    SELECT COUNT(*)::int FROM rule_firings WHERE conversation_id = \(id) AND fired_at >= \(firing.recentSince.epoch)
                    """, as: Int.self) ?? 0
            guard let planned = try plan(state, loads, recent) else { return .declined(firedRecently: recent) }
            let applied = try await Self.apply(db, planned, loads: &loads)
            try await db.execute(
                """
                INSERT INTO rule_firings (rule_id, conversation_id, firing_key, fired_at)
                VALUES (\(firing.rule), \(id), \(firing.key), \(firing.at.epoch))
                """)
            return .applied(applied)
        }
    }

    public func activeConversations(after id: Int64, limit: Int) async throws -> [Int64] {
        try await read { db in
            try await db.values(
                """
                SELECT id FROM conversations WHERE status IN ('open', 'pending') AND id > \(id) ORDER BY id LIMIT \(limit)
                """, as: Int64.self)
        }
    }

    public func releaseAcknowledgements(conversation: Int64, at: Date) async throws {
        try await write { db in try await Self.settleAcknowledgements(db, conversation: conversation, .release, at: at) }
    }

    /// Acknowledgements of the conversation still in the outbox and not being sent: released, or withheld.
    static func settleAcknowledgements(_ db: PGSession, conversation: Int64, _ held: HeldAcknowledgements, at: Date) async throws {
        switch held {
        case .release:
            try await db.execute(
                """
                UPDATE outbox o SET next_attempt_at = LEAST(o.next_attempt_at, \(at.epoch))
                FROM messages m WHERE m.id = o.message_id AND m.conversation_id = \(conversation)
                  AND o.purpose = 'acknowledgement' AND o.claimed_by IS NULL
                """)
        case .withhold(let reason):
            let ids = try await db.values(
                """
                DELETE FROM outbox o USING messages m
                WHERE m.id = o.message_id AND m.conversation_id = \(conversation) AND o.purpose = 'acknowledgement' AND o.claimed_by IS NULL
                RETURNING o.message_id
                """, as: Int64.self)
            if !ids.isEmpty {
                try await db.execute(
                    """
                    UPDATE messages SET delivery_state = 'failed', delivery_error = \(reason) WHERE id = ANY(\(ids))
                    """)
            }
        }
    }

    /// A plan's tags, held acknowledgements and queued events, in its transaction.
    static func applyAutomation(_ db: PGSession, _ plan: ConversationPlan) async throws {
        if let added = plan.addTags, !added.tags.isEmpty {
            try await db.execute(
                """
                INSERT INTO conversation_tags (conversation_id, tag, added_by, added_at)
                SELECT \(plan.state.id), t, \(added.by), \(Date().epoch) FROM unnest(\(added.tags)::text[]) AS t
                ON CONFLICT DO NOTHING
                """)
        }
        if let held = plan.acknowledgements { try await settleAcknowledgements(db, conversation: plan.state.id, held, at: Date()) }
        try await enqueue(db, plan.enqueue)
    }
}
