import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// A customer's record, its erasure and retention: the core's plans, executed.
extension PostgresStore {
    /// The customer and everyone merged into them, directly or through others.
    static func absorbedChain(_ db: PGSession, of id: Int64) async throws -> [Int64] {
        try await db.values(
            """
            WITH RECURSIVE chain(id) AS (
                SELECT id FROM customers WHERE merged_into = \(id)
                UNION SELECT c.id FROM customers c JOIN chain ON c.merged_into = chain.id)
            SELECT id FROM chain ORDER BY id
            """, as: Int64.self)
    }

    public func customerRecordFacts(_ id: Int64) async throws -> CustomerRecordFacts? {
        try await read { db in
            guard let row = try await db.row("SELECT * FROM customers WHERE id = \(id)") else { return nil }
            let absorbed = try await Self.absorbedChain(db, of: id)
            let everyone = [id] + absorbed
            var identities: [CustomerRecordFacts.Identity] = []
            for r in try await db.rows("SELECT channel, adapter, address, created_at FROM identities WHERE customer_id = \(id) ORDER BY id") {
                identities.append(
                    CustomerRecordFacts.Identity(
                        channel: try r["channel"], adapter: try r["adapter"], address: try r["address"],
                        createdAt: try r.date("created_at") ?? Date(epoch: 0)))
            }
            let conversations = try await db.values("SELECT id FROM conversations WHERE customer_id = ANY(\(everyone)) ORDER BY id", as: Int64.self)
            var merges: [CustomerRecordFacts.Merge] = []
            for r in try await db.rows("SELECT * FROM merges WHERE survivor = ANY(\(everyone)) OR absorbed = ANY(\(everyone)) ORDER BY id") {
                merges.append(
                    CustomerRecordFacts.Merge(
                        id: try r["id"], survivor: try r["survivor"], absorbed: try r["absorbed"], mergedBy: try r["merged_by"],
                        mergedAt: try r.date("merged_at") ?? Date(epoch: 0), undoneBy: try r["undone_by"], undoneAt: try r.date("undone_at")))
            }
            return CustomerRecordFacts(
                id: id, name: try row["name"], createdAt: try row.date("created_at") ?? Date(epoch: 0), erasedAt: try row.date("erased_at"),
                mergedInto: try row["merged_into"], identities: identities, absorbed: absorbed, conversations: conversations, merges: merges)
        }
    }

    static func candidate(_ row: PGRow) throws -> RedactionCandidate {
        let record = try messageRecord(row: row)
        return RedactionCandidate(
            id: record.id, conversationID: record.conversationID, direction: record.direction, adapter: record.adapter,
            createdAt: record.createdAt, metadata: record.metadata, attachments: record.attachments, deliveryState: record.delivery?.state,
            queued: try row["queued"] as Bool, redacted: try row.date("redacted_at") != nil)
    }

    public func erase(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (ErasureSnapshot) throws -> ErasurePlan,
        audit seal: @escaping @Sendable (AuditEvent, AuditHead?) -> AuditEntry
    ) async throws -> ErasureOutcome {
        try await write { db in
            // Every ingesting transaction holds the agents' rows first (shared, or to update when it
            // routes): taking them to update here makes a
            // message of this customer land either before the erasure (and be erased with the
            // rest) or after it (and, its identity gone, start a new customer).
            _ = try await Self.agentLoads(db, lock: true)
            let row = try await db.row("SELECT merged_into, erased_at FROM customers WHERE id = \(customer) FOR UPDATE")
            let absorbed = row == nil ? [] : try await Self.absorbedChain(db, of: customer)
            let everyone = [customer] + absorbed
            let conversations = try await db.values(
                "SELECT id FROM conversations WHERE customer_id = ANY(\(everyone)) ORDER BY id FOR UPDATE", as: Int64.self)
            var messages: [RedactionCandidate] = []
            for r in try await db.rows(
                """
                SELECT m.*, EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued FROM messages m
                WHERE m.conversation_id = ANY(\(conversations)) ORDER BY m.id
                """)
            {
                messages.append(try Self.candidate(r))
            }
            let snapshot = ErasureSnapshot(
                customer: try row.map {
                    ErasureSnapshot.Customer(id: customer, mergedInto: try $0["merged_into"], erasedAt: try $0.date("erased_at"))
                },
                absorbed: absorbed,
                identities: try await db.values("SELECT id FROM identities WHERE customer_id = ANY(\(everyone)) ORDER BY id", as: Int64.self),
                conversations: conversations, messages: messages)
            let planned = try plan(snapshot)
            try await db.execute("UPDATE customers SET name = NULL, erased_at = \(at.epoch) WHERE id = ANY(\(planned.customers))")
            try await db.execute("DELETE FROM identities WHERE id = ANY(\(planned.identities))")
            // Whom the customer wrote with is theirs to have erased too.
            try await db.execute("DELETE FROM conversation_participants WHERE conversation_id = ANY(\(conversations))")
            try await Self.write(db, planned.messages, at: at)
            try await db.execute("DELETE FROM outbox WHERE message_id = ANY(\(planned.cancelledDeliveries))")
            let deleted = try await Self.release(db, planned.releasedContents)
            try await db.execute(
                """
                DELETE FROM merge_moves WHERE merge_id IN (SELECT id FROM merges WHERE survivor = ANY(\(everyone)) OR absorbed = ANY(\(everyone)))
                """)
            try await db.execute("DELETE FROM merges WHERE survivor = ANY(\(everyone)) OR absorbed = ANY(\(everyone))")
            // The search index's triggers rewrote the documents of these messages and conversations.
            let entry = try await Self.appendAudit(db) { head in seal(planned.audit, head) }
            return ErasureOutcome(
                customers: planned.customers, conversations: planned.conversations, messages: planned.messages.count,
                identities: planned.identities.count, cancelledDeliveries: planned.cancelledDeliveries.count, deletedContents: deleted,
                audit: entry)
        }
    }

    /// Writes redactions (``MessageRedaction``).
    static func write(_ db: PGSession, _ redactions: [MessageRedaction], at: Date) async throws {
        for redaction in redactions {
            let metadata = redaction.metadata.flatMap(encodeMetadata)
            let attachments = redaction.attachments.map { String(decoding: JSONCoding.encode($0), as: UTF8.self) }
            if redaction.removeText {
                try await db.execute(
                    """
                    UPDATE messages SET body = '', original_body = NULL, address = NULL, thread_ref = NULL, external_id = NULL,
                        delivery_error = NULL, metadata = \(metadata), attachments = \(attachments), redacted_at = \(at.epoch) WHERE id = \(redaction.id)
                    """)
            } else {
                try await db.execute("UPDATE messages SET metadata = \(metadata), attachments = \(attachments) WHERE id = \(redaction.id)")
            }
            if let delivery = redaction.cancelledDelivery {
                try await db.execute(
                    """
                    UPDATE messages SET delivery_state = \(delivery.state.rawValue), delivery_error = \(delivery.error) WHERE id = \(redaction.id)
                    """)
            }
        }
    }

    /// Gives up references; deletes contents nobody refers to any more. Returns how many went.
    static func release(_ db: PGSession, _ released: [String: Int]) async throws -> Int {
        var deleted = 0
        // In key order, so two transactions releasing the same contents lock them in one order.
        for (sha, count) in released.sorted(by: { $0.key < $1.key }) {
            try await db.execute("UPDATE attachment_contents SET refs = refs - \(count) WHERE sha256 = \(sha)")
            deleted += try await db.count("DELETE FROM attachment_contents WHERE sha256 = \(sha) AND refs <= 0 RETURNING 1")
        }
        return deleted
    }

    /// Nothing to do: a dump holds only live rows, and the server reuses dead ones' space (VACUUM).
    public func compactAfterRemoval() async {}

    public func retentionAdapters() async throws -> [String] {
        try await read { db in
            // One index seek per adapter (messages_unredacted), however many messages there are.
            var adapters: [String] = []
            var after = ""
            while let next = try await db.value(
                "SELECT MIN(adapter) FROM messages WHERE redacted_at IS NULL AND adapter > \(after)", as: String.self)
            {
                adapters.append(next)
                after = next
            }
            return adapters
        }
    }

    public func applyRetention(
        _ query: RetentionQuery, at: Date, _ plan: @escaping @Sendable ([RetentionCandidate]) -> RetentionPlan
    ) async throws -> RetentionBatchOutcome {
        try await write { db in
            let afterAt = query.after?.createdAt.epoch ?? -1
            let afterID = query.after?.id ?? 0
            let rows: [PGRow]
            switch query.kind {
            case .messages:
                // Equality (or IS NULL) on the adapter, so the scan is a range of messages_unredacted.
                if let adapter = query.adapter {
                    rows = try await db.rows(
                        """
                        SELECT m.*, EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued, c.status AS conversation_status
                        FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE m.redacted_at IS NULL AND m.adapter = \(adapter) AND m.created_at < \(query.before.epoch)
                          AND (m.created_at, m.id) > (\(afterAt), \(afterID))
                        ORDER BY m.created_at, m.id LIMIT \(query.limit)
                        FOR UPDATE OF m
                        """)
                } else {
                    rows = try await db.rows(
                        """
                        SELECT m.*, EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued, c.status AS conversation_status
                        FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE m.redacted_at IS NULL AND m.adapter IS NULL AND m.created_at < \(query.before.epoch)
                          AND (m.created_at, m.id) > (\(afterAt), \(afterID))
                        ORDER BY m.created_at, m.id LIMIT \(query.limit)
                        FOR UPDATE OF m
                        """)
                }
            case .attachments:
                rows = try await db.rows(
                    """
                    SELECT m.*, EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued, c.status AS conversation_status
                    FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.attachments LIKE '%"stored":true%' AND m.created_at < \(query.before.epoch)
                      AND (m.created_at, m.id) > (\(afterAt), \(afterID))
                    ORDER BY m.created_at, m.id LIMIT \(query.limit)
                    FOR UPDATE OF m
                    """)
            }
            let candidates = try rows.map {
                RetentionCandidate(
                    message: try Self.candidate($0), conversationStatus: ConversationStatus(rawValue: try $0["conversation_status"]) ?? .open)
            }
            let planned = plan(candidates)
            // The search index's triggers take the removed words out of it in this transaction.
            try await Self.write(db, planned.messages, at: at)
            let deleted = try await Self.release(db, planned.releasedContents)
            return RetentionBatchOutcome(
                examined: candidates.count,
                cursor: candidates.last.map { RetentionCursor(createdAt: $0.message.createdAt, id: $0.message.id) },
                redacted: planned.messages.count, deletedContents: deleted)
        }
    }
}
