import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// A customer's record, its erasure and retention: the core's plans, executed.
extension SQLiteStore {
    /// The customer and everyone merged into them, directly or through others.
    static func absorbedChain(_ db: Database, of id: Int64) throws -> [Int64] {
        var found: [Int64] = []
        var frontier = [id]
        while !frontier.isEmpty {
            let marks = frontier.map { _ in "?" }.joined(separator: ",")
            let next = try Int64.fetchAll(
                db, sql: "SELECT id FROM customers WHERE merged_into IN (\(marks)) ORDER BY id", arguments: StatementArguments(frontier))
            found += next
            frontier = next
        }
        return found
    }

    static func list(_ ids: [Int64]) -> String { ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",") }

    public func customerRecordFacts(_ id: Int64) async throws -> CustomerRecordFacts? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = ?", arguments: [id]) else { return nil }
            let absorbed = try Self.absorbedChain(db, of: id)
            let everyone = Self.list([id] + absorbed)
            let identities = try Row.fetchAll(
                db, sql: "SELECT channel, adapter, address, created_at FROM identities WHERE customer_id = ? ORDER BY id", arguments: [id]
            ).map {
                CustomerRecordFacts.Identity(
                    channel: $0["channel"], adapter: $0["adapter"], address: $0["address"], createdAt: $0.date("created_at") ?? Date(epoch: 0))
            }
            let conversations = try Int64.fetchAll(db, sql: "SELECT id FROM conversations WHERE customer_id IN (\(everyone)) ORDER BY id")
            let merges = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM merges WHERE survivor IN (\(everyone)) OR absorbed IN (\(everyone)) ORDER BY id
                    """
            ).map {
                CustomerRecordFacts.Merge(
                    id: $0["id"], survivor: $0["survivor"], absorbed: $0["absorbed"], mergedBy: $0["merged_by"],
                    mergedAt: $0.date("merged_at") ?? Date(epoch: 0), undoneBy: $0["undone_by"], undoneAt: $0.date("undone_at"))
            }
            return CustomerRecordFacts(
                id: id, name: row["name"], createdAt: row.date("created_at") ?? Date(epoch: 0), erasedAt: row.date("erased_at"),
                mergedInto: row["merged_into"], identities: identities, absorbed: absorbed, conversations: conversations, merges: merges)
        }
    }

    static func candidate(_ row: Row) -> RedactionCandidate {
        let record = messageRecord(row: row)
        return RedactionCandidate(
            id: record.id, conversationID: record.conversationID, direction: record.direction, adapter: record.adapter,
            createdAt: record.createdAt, metadata: record.metadata, attachments: record.attachments, deliveryState: record.delivery?.state,
            queued: (row["queued"] as Int?) == 1, redacted: (row["redacted_at"] as Double?) != nil)
    }

    public func erase(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (ErasureSnapshot) throws -> ErasurePlan,
        audit seal: @escaping @Sendable (AuditEvent, AuditHead?) -> AuditEntry
    ) async throws -> ErasureOutcome {
        let outcome = try await pool.write { db -> ErasureOutcome in
            // The one writer serialises this with ingestion: a message either lands before (and is
            // erased with the rest) or after (and, its identity gone, starts a new customer).
            let row = try Row.fetchOne(db, sql: "SELECT merged_into, erased_at FROM customers WHERE id = ?", arguments: [customer])
            let absorbed = row == nil ? [] : try Self.absorbedChain(db, of: customer)
            let everyone = Self.list([customer] + absorbed)
            let conversations = try Int64.fetchAll(db, sql: "SELECT id FROM conversations WHERE customer_id IN (\(everyone)) ORDER BY id")
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued FROM messages m
                    WHERE m.conversation_id IN (\(Self.list(conversations))) ORDER BY m.id
                    """
            ).map(Self.candidate)
            let snapshot = ErasureSnapshot(
                customer: row.map { ErasureSnapshot.Customer(id: customer, mergedInto: $0["merged_into"], erasedAt: $0.date("erased_at")) },
                absorbed: absorbed,
                identities: try Int64.fetchAll(db, sql: "SELECT id FROM identities WHERE customer_id IN (\(everyone)) ORDER BY id"),
                conversations: conversations, messages: messages)
            let planned = try plan(snapshot)
            try db.execute(
                sql: "UPDATE customers SET name = NULL, erased_at = ? WHERE id IN (\(Self.list(planned.customers)))", arguments: [at.epoch])
            try db.execute(sql: "DELETE FROM identities WHERE id IN (\(Self.list(planned.identities)))")
            // Whom the customer wrote with is theirs to have erased too.
            try db.execute(sql: "DELETE FROM conversation_participants WHERE conversation_id IN (\(Self.list(conversations)))")
            try Self.write(db, planned.messages, at: at)
            try db.execute(sql: "DELETE FROM outbox WHERE message_id IN (\(Self.list(planned.cancelledDeliveries)))")
            let deleted = try Self.release(db, planned.releasedContents)
            try db.execute(
                sql: """
                    DELETE FROM merge_moves WHERE merge_id IN (SELECT id FROM merges WHERE survivor IN (\(everyone)) OR absorbed IN (\(everyone)))
                    """)
            try db.execute(sql: "DELETE FROM merges WHERE survivor IN (\(everyone)) OR absorbed IN (\(everyone))")
            // The conversations' index dropped the old words through its triggers, but FTS5 keeps them
            // in its segments (with a tombstone) until they are merged: merge them all now, so no word
            // of the customer's is left in the file. Takes time in proportion to the index, once per
            // erasure. The messages' index does the same in its own file, right after this commits
            // (``compactAfterRemoval()``).
            try Self.rewriteSearchIndex(db)
            let entry = try Self.appendAudit(db) { head in seal(planned.audit, head) }
            return ErasureOutcome(
                customers: planned.customers, conversations: planned.conversations, messages: planned.messages.count,
                identities: planned.identities.count, cancelledDeliveries: planned.cancelledDeliveries.count, deletedContents: deleted,
                audit: entry)
        }
        await compactAfterRemoval(rewritingSearchIndex: true)
        return outcome
    }

    /// FTS5's `optimize` on the conversations' index: every segment merged into one, deleted entries dropped.
    static func rewriteSearchIndex(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO search_conversation_text (search_conversation_text) VALUES ('optimize')")
    }

    public func compactAfterRemoval() async {
        await compactAfterRemoval(rewritingSearchIndex: false)
    }

    /// The messages' index takes out what was removed (the words it replaced wait in
    /// `search_changes` until then, and leave the database with it) and empties its log; after an
    /// erasure it also merges all its segments, so no removed word stays in them (retention leaves
    /// that to the index's own merges: a whole rewrite each hourly pass would cost more than it saves).
    func compactAfterRemoval(rewritingSearchIndex: Bool) async {
        do {
            try await catchUpSearch()
            try await searchIndex.compact(rewriting: rewritingSearchIndex)
        } catch {
            logger.error("taking removed messages out of the search index failed", metadata: ["error": "\(error)"])
        }
        // The write-ahead log still holds the pages as they were; fold it into the database and
        // empty it (best effort: a long read may hold it until the next checkpoint).
        try? await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Writes redactions (``MessageRedaction``).
    static func write(_ db: Database, _ redactions: [MessageRedaction], at: Date) throws {
        for redaction in redactions {
            let metadata = redaction.metadata.flatMap(encodeMetadata)
            let attachments = redaction.attachments.map { String(decoding: JSONCoding.encode($0), as: UTF8.self) }
            if redaction.removeText {
                try db.cachedStatement(
                    sql: """
                        UPDATE messages SET body = '', original_body = NULL, address = NULL, thread_ref = NULL, external_id = NULL,
                            delivery_error = NULL, metadata = ?, attachments = ?, redacted_at = ? WHERE id = ?
                        """
                ).execute(arguments: [metadata, attachments, at.epoch, redaction.id])
            } else {
                try db.cachedStatement(sql: "UPDATE messages SET metadata = ?, attachments = ? WHERE id = ?")
                    .execute(arguments: [metadata, attachments, redaction.id])
            }
            if let delivery = redaction.cancelledDelivery {
                try db.execute(
                    sql: "UPDATE messages SET delivery_state = ?, delivery_error = ? WHERE id = ?",
                    arguments: [delivery.state.rawValue, delivery.error, redaction.id])
            }
        }
    }

    /// Gives up references; deletes contents nobody refers to any more. Returns how many went.
    static func release(_ db: Database, _ released: [String: Int]) throws -> Int {
        var deleted = 0
        for (sha, count) in released.sorted(by: { $0.key < $1.key }) {
            try db.execute(sql: "UPDATE attachment_contents SET refs = refs - ? WHERE sha256 = ?", arguments: [count, sha])
            try db.execute(sql: "DELETE FROM attachment_contents WHERE sha256 = ? AND refs <= 0", arguments: [sha])
            deleted += db.changesCount
        }
        return deleted
    }

    public func retentionAdapters() async throws -> [String] {
        try await pool.read { db in
            // One index seek per adapter (messages_unredacted), however many messages there are.
            var adapters: [String] = []
            var after = ""
            while let next = try String.fetchOne(
                db, sql: "SELECT MIN(adapter) FROM messages WHERE redacted_at IS NULL AND adapter > ?", arguments: [after])
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
        let outcome = try await pool.write { db -> RetentionBatchOutcome in
            var arguments: StatementArguments = [query.before.epoch]
            var cursor = ""
            if let after = query.after {
                cursor = "AND (m.created_at, m.id) > (?, ?)"
                arguments += [after.createdAt.epoch, after.id]
            }
            let filter: String
            switch query.kind {
            case .messages:
                filter = query.adapter == nil ? "m.redacted_at IS NULL AND m.adapter IS NULL" : "m.redacted_at IS NULL AND m.adapter = ?"
                if let adapter = query.adapter { arguments = [adapter] + arguments }
            case .attachments:
                filter = #"m.attachments LIKE '%"stored":true%'"#
            }
            arguments += [query.limit]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued, c.status AS conversation_status
                    FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE \(filter) AND m.created_at < ? \(cursor)
                    ORDER BY m.created_at, m.id LIMIT ?
                    """, arguments: arguments)
            let candidates = rows.map {
                RetentionCandidate(message: Self.candidate($0), conversationStatus: ConversationStatus(rawValue: $0["conversation_status"]) ?? .open)
            }
            let planned = plan(candidates)
            // The search index's triggers take the removed words out of it in this transaction.
            try Self.write(db, planned.messages, at: at)
            let deleted = try Self.release(db, planned.releasedContents)
            return RetentionBatchOutcome(
                examined: candidates.count,
                cursor: candidates.last.map { RetentionCursor(createdAt: $0.message.createdAt, id: $0.message.id) },
                redacted: planned.messages.count, deletedContents: deleted)
        }
        return outcome
    }
}
