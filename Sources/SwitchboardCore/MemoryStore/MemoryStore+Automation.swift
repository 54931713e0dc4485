import Foundation
import SwitchboardAdapterAPI

/// What rules and SLA policies read and write, in memory.
extension MemoryStore {
    public func conversationFacts(conversation id: Int64, message: Int64?) async throws -> ConversationFacts? {
        tables.withLock { t in Self.facts(t, conversation: id, message: message) }
    }

    static func facts(_ t: Tables, conversation id: Int64, message: Int64?) -> ConversationFacts? {
        guard let state = t.conversations[id] else { return nil }
        let customer = t.customers[state.customerID]
        let asked = message.flatMap { t.messages[$0] }.flatMap { $0.record.conversationID == id ? $0.record : nil }
        let latest = asked ?? t.messagesOf(id).last { $0.record.direction == .inbound }?.record
        return ConversationFacts(
            state: state, tags: (t.tags[id] ?? []).sorted(), customerName: customer?.name, contacts: customer?.contacts ?? 0,
            identities: identities(t, of: state.customerID), message: latest)
    }
}

extension MemoryStore.Tables {
    /// A plan's tags, held acknowledgements and queued events.
    mutating func applyAutomation(_ plan: ConversationPlan, at: Date) {
        let conversation = plan.state.id
        if let added = plan.addTags { tags[conversation, default: []].formUnion(added.tags) }
        if let held = plan.acknowledgements { settleAcknowledgements(conversation: conversation, held, at: Date()) }
        enqueue(plan.enqueue)
    }

    mutating func enqueue(_ events: [QueuedEvent]) {
        for event in events {
            let id = self.id()
            queue[id] = MemoryStore.QueueRow(
                item: QueuedItem(
                    id: id, consumer: event.consumer, conversationID: event.conversationID, type: event.type, payload: event.payload,
                    cause: event.cause, state: .queued, attempts: 0, lastError: nil, createdAt: event.createdAt, nextAttemptAt: event.notBefore,
                    doneAt: nil))
        }
    }

    /// Acknowledgements of the conversation still in the outbox and not being sent.
    mutating func settleAcknowledgements(conversation: Int64, _ held: HeldAcknowledgements, at now: Date) {
        for (id, row) in outbox
        where row.purpose == .acknowledgement && row.claimedBy == nil
            && messages[id]?.record.conversationID == conversation
        {
            switch held {
            case .release:
                if row.nextAttemptAt > now { outbox[id]?.nextAttemptAt = now }
            case .withhold(let reason):
                outbox[id] = nil
                let attempts = messages[id]?.record.delivery?.attempts ?? 0
                messages[id]?.record.delivery = DeliveryInfo(state: .failed, attempts: attempts, error: reason)
            }
        }
    }
}

extension MemoryStore {
    public func enqueue(_ events: [QueuedEvent]) async throws {
        tables.withLock { $0.enqueue(events) }
    }

    public func claimQueued(consumer: String, now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [QueuedItem] {
        tables.withLock { t in
            // The oldest queued event of each conversation, if it is due and not leased.
            var heads: [Int64: MemoryStore.QueueRow] = [:]
            for row in t.queue.values where row.item.consumer == consumer && row.item.state == .queued {
                if let head = heads[row.item.conversationID], head.item.id < row.item.id { continue }
                heads[row.item.conversationID] = row
            }
            let due = heads.values.filter { $0.item.nextAttemptAt <= now && ($0.leaseUntil.map { $0 < now } ?? true) }
                .sorted { $0.item.id < $1.item.id }.prefix(limit)
            return due.map { row in
                t.queue[row.item.id]?.claimedBy = claimer
                t.queue[row.item.id]?.leaseUntil = leaseUntil
                return row.item
            }
        }
    }

    public func completeQueued(_ completions: [QueueCompletion], at: Date) async throws {
        tables.withLock { t in
            for completion in completions { Self.complete(&t, id: completion.id, result: completion.result, at: at) }
        }
    }

    private static func complete(_ t: inout Tables, id: Int64, result: QueueResult, at: Date) {
        guard var row = t.queue[id], row.item.state == .queued else { return }
        switch result {
        case .done(let keep):
            guard keep else {
                t.queue[id] = nil
                return
            }
            row.item.state = .delivered
            row.item.attempts += 1
            row.item.doneAt = at
        case .retry(let error, let retryAt):
            row.item.attempts += 1
            row.item.lastError = error
            row.item.nextAttemptAt = retryAt
        case .failed(let error):
            row.item.state = .failed
            row.item.attempts += 1
            row.item.lastError = error
            row.item.doneAt = at
        }
        row.claimedBy = nil
        row.leaseUntil = nil
        t.queue[id] = row
    }

    public func queuedEvents(consumer: String, state: QueueState?, before: Int64?, limit: Int) async throws -> [QueuedItem] {
        tables.withLock { t in
            t.queue.values.map(\.item).filter { item in
                item.consumer == consumer && (state.map { item.state == $0 } ?? true) && (before.map { item.id < $0 } ?? true)
            }.sorted { $0.id > $1.id }.prefix(limit).map { $0 }
        }
    }

    public func replayQueued(consumer: String, ids: [Int64]?, at: Date) async throws -> Int {
        tables.withLock { t in
            let wanted = ids.map(Set.init)
            var count = 0
            for (id, row) in t.queue where row.item.consumer == consumer && row.item.state == .failed && (wanted?.contains(id) ?? true) {
                t.queue[id]?.item.state = .queued
                t.queue[id]?.item.attempts = 0
                t.queue[id]?.item.nextAttemptAt = at
                t.queue[id]?.item.doneAt = nil
                t.queue[id]?.claimedBy = nil
                t.queue[id]?.leaseUntil = nil
                count += 1
            }
            return count
        }
    }

    public func nextQueuedDue(consumer: String) async throws -> Date? {
        tables.withLock { t in
            // Only each conversation's head can be taken; a leased head when its lease runs out.
            var heads: [Int64: MemoryStore.QueueRow] = [:]
            for row in t.queue.values where row.item.consumer == consumer && row.item.state == .queued {
                if let head = heads[row.item.conversationID], head.item.id < row.item.id { continue }
                heads[row.item.conversationID] = row
            }
            return heads.values.map { max($0.item.nextAttemptAt, $0.leaseUntil ?? .distantPast) }.min()
        }
    }

    public func pruneQueued(consumer: String, deliveredBefore: Date, expire: QueueExpiry?, at: Date) async throws {
        tables.withLock { t in
            for (id, row) in t.queue where row.item.consumer == consumer {
                if row.item.state == .delivered, let done = row.item.doneAt, done < deliveredBefore { t.queue[id] = nil }
                if let expire, row.item.state == .queued, row.item.createdAt < expire.before, row.claimedBy == nil || (row.leaseUntil ?? at) < at {
                    t.queue[id]?.item.state = .failed
                    t.queue[id]?.item.doneAt = at
                    t.queue[id]?.item.lastError = expire.prefix + (row.item.lastError ?? expire.neverAttempted)
                }
            }
        }
    }

    public func applyRule(
        _ firing: RuleFiring, conversation id: Int64,
        _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad], Int) throws -> ConversationPlan?
    ) async throws -> RuleApplication {
        try tables.withLock { t in
            guard let state = t.conversations[id] else { throw StoreError.missing("conversation \(id)") }
            let fired = t.firings.contains { f in
                f.rule == firing.rule && f.conversation == id && (f.key == firing.key || (firing.onceSince.map { f.at >= $0 } ?? false))
            }
            if fired { return .alreadyFired }
            let recent = t.firings.filter { $0.conversation == id && $0.at >= firing.recentSince }.count
            guard let planned = try plan(state, t.loads, recent) else { return .declined(firedRecently: recent) }
            let applied = t.apply(planned)
            t.firings.append(MemoryStore.FiringRow(rule: firing.rule, conversation: id, key: firing.key, at: firing.at))
            return .applied(applied)
        }
    }

    public func activeConversations(after id: Int64, limit: Int) async throws -> [Int64] {
        tables.withLock { t in
            t.conversations.values.filter { $0.id > id && ($0.status == .open || $0.status == .pending) }.map(\.id).sorted().prefix(limit).map { $0 }
        }
    }

    public func releaseAcknowledgements(conversation: Int64, at: Date) async throws {
        tables.withLock { $0.settleAcknowledgements(conversation: conversation, .release, at: at) }
    }
}
