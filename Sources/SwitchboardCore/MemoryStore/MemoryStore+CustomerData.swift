import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    /// The customer and everyone merged into them, directly or through others.
    static func absorbedChain(_ t: Tables, of id: Int64) -> [Int64] {
        var found: [Int64] = []
        var frontier: Set<Int64> = [id]
        while !frontier.isEmpty {
            let next = t.customers.filter { $0.value.mergedInto.map(frontier.contains) ?? false }.map(\.key).sorted()
            found += next
            frontier = Set(next)
        }
        return found
    }

    public func customerRecordFacts(_ id: Int64) async throws -> CustomerRecordFacts? {
        tables.withLock { t in
            guard let row = t.customers[id] else { return nil }
            let absorbed = Self.absorbedChain(t, of: id)
            let everyone = Set([id] + absorbed)
            let identities = t.identities.filter { $0.value.customer == id }.sorted { $0.key < $1.key }.map {
                CustomerRecordFacts.Identity(
                    channel: $0.value.channel, adapter: $0.value.adapter, address: $0.value.address, createdAt: row.createdAt)
            }
            let merges = t.merges.filter { everyone.contains($0.survivor) || everyone.contains($0.absorbed) }.map {
                CustomerRecordFacts.Merge(
                    id: $0.id, survivor: $0.survivor, absorbed: $0.absorbed, mergedBy: $0.mergedBy, mergedAt: $0.mergedAt,
                    undoneBy: $0.undoneBy, undoneAt: $0.undoneAt)
            }
            return CustomerRecordFacts(
                id: id, name: row.name, createdAt: row.createdAt, erasedAt: row.erasedAt, mergedInto: row.mergedInto, identities: identities,
                absorbed: absorbed, conversations: ([id] + absorbed).compactMap { t.conversationOfCustomer[$0] }, merges: merges)
        }
    }

    static func candidate(_ t: Tables, _ row: MessageRow) -> RedactionCandidate {
        RedactionCandidate(
            id: row.record.id, conversationID: row.record.conversationID, direction: row.record.direction, adapter: row.record.adapter,
            createdAt: row.record.createdAt, metadata: row.record.metadata, attachments: row.record.attachments,
            deliveryState: row.record.delivery?.state, queued: t.outbox[row.record.id] != nil, redacted: row.redactedAt != nil)
    }

    public func erase(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (ErasureSnapshot) throws -> ErasurePlan,
        audit seal: @escaping @Sendable (AuditEvent, AuditHead?) -> AuditEntry
    ) async throws -> ErasureOutcome {
        try tables.withLock { t in
            let absorbed = t.customers[customer] == nil ? [] : Self.absorbedChain(t, of: customer)
            let everyone = Set([customer] + absorbed)
            let conversations = ([customer] + absorbed).compactMap { t.conversationOfCustomer[$0] }
            let snapshot = ErasureSnapshot(
                customer: t.customers[customer].map { ErasureSnapshot.Customer(id: customer, mergedInto: $0.mergedInto, erasedAt: $0.erasedAt) },
                absorbed: absorbed, identities: t.identities.filter { everyone.contains($0.value.customer) }.map(\.key).sorted(),
                conversations: conversations, messages: conversations.flatMap { t.messagesOf($0) }.map { Self.candidate(t, $0) })
            let planned = try plan(snapshot)
            for id in planned.customers {
                t.customers[id]?.name = nil
                t.customers[id]?.erasedAt = at
            }
            for id in planned.identities {
                if let row = t.identities.removeValue(forKey: id) {
                    t.identityIndex[ChannelIdentity(channel: row.channel, address: row.address)] = nil
                }
            }
            Self.write(&t, planned.messages, at: at)
            // Whom the customer wrote with is theirs to have erased too.
            for id in conversations { t.participants[id] = nil }
            for id in planned.cancelledDeliveries { t.outbox[id] = nil }
            let deleted = Self.release(&t, planned.releasedContents)
            t.merges.removeAll { everyone.contains($0.survivor) || everyone.contains($0.absorbed) }
            let entry = trust.withLock { $0.append { head in seal(planned.audit, head) } }
            return ErasureOutcome(
                customers: planned.customers, conversations: planned.conversations, messages: planned.messages.count,
                identities: planned.identities.count, cancelledDeliveries: planned.cancelledDeliveries.count, deletedContents: deleted,
                audit: entry)
        }
    }

    /// Writes redactions (``MessageRedaction``).
    static func write(_ t: inout Tables, _ redactions: [MessageRedaction], at: Date) {
        for redaction in redactions {
            guard var row = t.messages[redaction.id] else { continue }
            if let externalID = row.record.externalID, let adapter = row.record.adapter, redaction.removeText {
                t.messageIndex[MessageKey(adapter: adapter, externalID: externalID, direction: row.record.direction)] = nil
            }
            row.record.metadata = redaction.metadata
            row.record.attachments = redaction.attachments
            if redaction.removeText {
                row.record.body = ""
                row.record.originalBody = nil
                row.record.externalID = nil
                row.address = nil
                row.threadRef = nil
                row.record.delivery?.error = nil
                row.redactedAt = at
                // Its words leave the search index with it (the SQL engines' triggers do the same).
                t.search.remove(redaction.id)
            }
            if let delivery = redaction.cancelledDelivery { row.record.delivery = delivery }
            t.putMessage(redaction.id, row)
        }
    }

    /// Gives up references; deletes contents nobody refers to any more. Returns how many went.
    static func release(_ t: inout Tables, _ released: [String: Int]) -> Int {
        var deleted = 0
        for (sha, count) in released {
            let left = (t.contentRefs[sha] ?? 0) - count
            if left <= 0 {
                if t.contents.removeValue(forKey: sha) != nil { deleted += 1 }
                t.contentRefs[sha] = nil
            } else {
                t.contentRefs[sha] = left
            }
        }
        return deleted
    }

    public func compactAfterRemoval() async {}

    public func retentionAdapters() async throws -> [String] {
        tables.withLock { t in
            Array(Set(t.messages.values.filter { $0.redactedAt == nil }.compactMap(\.record.adapter))).sorted()
        }
    }

    public func applyRetention(
        _ query: RetentionQuery, at: Date, _ plan: @escaping @Sendable ([RetentionCandidate]) -> RetentionPlan
    ) async throws -> RetentionBatchOutcome {
        tables.withLock { t in
            let rows = t.messages.values.filter { row in
                let r = row.record
                guard r.createdAt < query.before else { return false }
                if let after = query.after, (r.createdAt, r.id) <= (after.createdAt, after.id) { return false }
                switch query.kind {
                case .messages: return row.redactedAt == nil && r.adapter == query.adapter
                case .attachments: return (r.attachments ?? []).contains { $0.stored == true }
                }
            }.sorted { ($0.record.createdAt, $0.record.id) < ($1.record.createdAt, $1.record.id) }.prefix(query.limit)
            let candidates = rows.map { row in
                RetentionCandidate(
                    message: Self.candidate(t, row), conversationStatus: t.conversations[row.record.conversationID]?.status ?? .open)
            }
            let planned = plan(candidates)
            Self.write(&t, planned.messages, at: at)
            let deleted = Self.release(&t, planned.releasedContents)
            return RetentionBatchOutcome(
                examined: candidates.count, cursor: rows.last.map { RetentionCursor(createdAt: $0.record.createdAt, id: $0.record.id) },
                redacted: planned.messages.count, deletedContents: deleted)
        }
    }
}
