import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    public func conversations(_ query: ConversationQuery) async throws -> [ConversationSummary] {
        tables.withLock { t in
            let matching = t.conversations.values.filter { c in
                switch query.status {
                case .open: if c.status != .open { return false }
                case .pending: if c.status != .pending { return false }
                case .resolved: if c.status != .resolved { return false }
                case .all: break
                }
                if query.escalatedOnly, !c.escalated { return false }
                if query.breachedOnly, !(c.slaBreached || c.resolutionBreached) { return false }
                return query.viewer.isSupervisor || c.assignee == query.viewer.agentID || c.owner == query.viewer.agentID
            }
            // Most urgent first: the earliest first-response due time, then the latest activity.
            let sorted = matching.sorted { a, b in
                switch (a.firstResponseDue, b.firstResponseDue) {
                case (let x?, let y?) where x != y: return x < y
                case (_?, nil): return true
                case (nil, _?): return false
                default: return a.lastMessageAt > b.lastMessageAt
                }
            }
            return sorted.prefix(query.limit).map { c in
                ConversationSummary(
                    id: c.id, status: c.status, customer: CustomerRef(id: c.customerID, name: t.customers[c.customerID]?.name),
                    owner: c.owner, assignee: c.assignee, escalated: c.escalated, lastMessageAt: c.lastMessageAt,
                    firstResponseDue: c.firstResponseDue, callbackDue: c.callbackDue, resolutionDue: c.resolutionDue, priority: c.priority)
            }
        }
    }

    public func conversation(_ id: Int64, page: MessagePage?) async throws -> ConversationDetail? {
        tables.withLock { t -> ConversationDetail? in
            guard let c = t.conversations[id], let customer = Self.customerDetail(t, c.customerID, now: Date()) else { return nil }
            var messages = t.messagesOf(id).map(\.record)
            var nextBefore: Int64?
            if let page {
                if let before = page.before {
                    let cursor = messages.first { $0.id == before }
                    messages = cursor.map { cursor in messages.filter { ($0.createdAt, $0.id) < (cursor.createdAt, cursor.id) } } ?? []
                }
                if messages.count > page.limit {
                    messages = Array(messages.suffix(page.limit))
                    nextBefore = messages.first?.id
                }
            }
            var detail = ConversationDetail(
                id: id, status: c.status, owner: c.owner, assignee: c.assignee, team: c.team, escalated: c.escalated,
                firstResponseDue: c.firstResponseDue, customer: customer, messages: messages, tags: (t.tags[id] ?? []).sorted(),
                callbackDue: c.callbackDue, mergedInto: c.mergedInto, resolutionDue: c.resolutionDue, priority: c.priority,
                slaPolicy: c.slaPolicy, slaReason: c.slaReason)
            detail.nextBefore = nextBefore
            return detail
        }
    }

    public func access(conversation id: Int64) async throws -> ConversationAccess? {
        tables.withLock { $0.conversations[id]?.access }
    }

    public func access(message id: Int64) async throws -> ConversationAccess? {
        tables.withLock { t in t.messages[id].flatMap { t.conversations[$0.record.conversationID]?.access } }
    }

    public func replyRoute(conversation: Int64, inReplyTo: Int64?, via: String?, identityChannel: String?) async throws -> ReplyRoute? {
        tables.withLock { t -> ReplyRoute? in
            // A redacted message (erasure, retention) no longer says where it came from: not a route.
            let inbound = t.messagesOf(conversation).filter { $0.record.direction == .inbound && $0.redactedAt == nil }
            let answered: MessageRow? =
                if let inReplyTo {
                    inbound.first { $0.record.id == inReplyTo }
                } else if let via {
                    inbound.last { $0.record.adapter == via }
                } else {
                    inbound.last
                }
            if let answered, let adapter = via ?? answered.record.adapter {
                if via != nil && via != answered.record.adapter { return nil }
                // The platform's sending time where it gave one (never later than arrival).
                let last = inbound.filter { $0.record.adapter == adapter }.map { min($0.record.sentAt ?? $0.record.createdAt, $0.record.createdAt) }
                    .max()
                return ReplyRoute(
                    adapter: adapter, address: answered.address ?? "", threadRef: answered.threadRef, inReplyTo: answered.record.id,
                    inReplyToExternalID: answered.record.externalID, lastInboundAt: last, quoted: inReplyTo != nil)
            }
            // A channel the customer never used through this adapter: reach them at a known identity.
            guard inReplyTo == nil, let via, let identityChannel, let customer = t.conversations[conversation]?.customerID,
                let address = t.identities.filter({ $0.value.customer == customer && $0.value.channel == identityChannel })
                    .max(by: { $0.key < $1.key })?.value.address
            else { return nil }
            return ReplyRoute(adapter: via, address: address, threadRef: nil, inReplyTo: nil, inReplyToExternalID: nil, lastInboundAt: nil)
        }
    }

    public func change(
        conversation id: Int64, routing: Bool, _ plan: @escaping @Sendable (ConversationState, [String: AgentLoad]) throws -> ConversationPlan?
    ) async throws -> AppliedPlan? {
        try tables.withLock { t in
            guard let state = t.conversations[id] else { throw StoreError.missing("conversation \(id)") }
            guard let planned = try plan(state, routing ? t.loads : [:]) else { return nil }
            return t.apply(planned)
        }
    }

    public func change(
        selecting selections: [ConversationSelection],
        _ plan: @escaping @Sendable ([[ConversationState]], [String: AgentLoad]) throws -> [ConversationPlan]
    ) async throws -> [AppliedPlan] {
        try tables.withLock { t in
            let found = selections.map { selection -> [ConversationState] in
                switch selection {
                case .coveredForOwner(let agent):
                    return t.conversations.values.filter { $0.owner == agent && $0.status == .open && $0.assignee != agent }
                        .sorted { ($0.lastMessageAt, $0.id) < ($1.lastMessageAt, $1.id) }
                case .waiting(let teams, let limit):
                    return Array(
                        t.conversations.values.filter { $0.assignee == nil && $0.status == .open && teams.contains($0.team ?? "") }
                            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.prefix(max(0, limit)))
                }
            }
            return try plan(found, t.loads).map { t.apply($0) }
        }
    }

    public func addTags(conversation: Int64, tags: [String], by agent: String, at: Date) async throws -> [String] {
        tables.withLock { t in
            t.tags[conversation, default: []].formUnion(tags)
            return t.tags[conversation, default: []].sorted()
        }
    }

    public func promisesDue(now: Date, staleAfter: Duration?, limit: Int) async throws -> [PromiseDue] {
        tables.withLock { t in
            let open = t.conversations.values.filter { $0.status == .open }
            func due(_ kind: PromiseDue.Kind, _ at: (ConversationState) -> Date?, _ when: (ConversationState) -> Bool) -> [PromiseDue] {
                open.filter(when).sorted { (at($0) ?? .distantPast, $0.id) < (at($1) ?? .distantPast, $1.id) }.prefix(limit).map {
                    PromiseDue(
                        kind: kind, conversation: $0.access, due: kind == .resolution ? $0.resolutionDue : $0.firstResponseDue,
                        awaitingSince: $0.awaitingSince)
                }
            }
            var found = due(.breach, \.firstResponseDue) { ($0.firstResponseDue.map { $0 <= now } ?? false) && !$0.slaBreached }
            found += due(.resolution, \.resolutionDue) { ($0.resolutionDue.map { $0 <= now } ?? false) && !$0.resolutionBreached }
            found += due(.warning, \.slaWarnAt) { ($0.slaWarnAt.map { $0 <= now } ?? false) && !$0.slaWarned && !$0.slaBreached }
            if let staleAfter {
                let cutoff = now.addingTimeInterval(-staleAfter.seconds)
                found += due(.stale, \.awaitingSince) { c in
                    c.assignee != nil && (c.awaitingSince.map { $0 <= cutoff } ?? false) && (c.reassignedAt.map { $0 <= cutoff } ?? true)
                }
            }
            return found
        }
    }

    public func orphanedConversations() async throws -> [ConversationAccess] {
        tables.withLock { t in
            func gone(_ agent: String?) -> Bool { agent.map { t.agents[$0]?.configured != true } ?? false }
            return t.conversations.values.filter { $0.status == .open && (gone($0.owner) || gone($0.assignee)) }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.access)
        }
    }

    public func inboxPreviews(conversations: [Int64]) async throws -> [Int64: InboxPreview] {
        tables.withLock { t in
            var previews: [Int64: InboxPreview] = [:]
            for id in conversations {
                let thread = t.messagesOf(id).map(\.record).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
                guard let last = thread.last(where: { $0.direction == .inbound || $0.direction == .outbound }) else { continue }
                // Acknowledgements (author 'switchboard') do not answer the customer.
                let answered = thread.last { $0.direction == .outbound && $0.author != "switchboard" }?.createdAt ?? .distantPast
                let waiting = thread.first { $0.direction == .inbound && $0.createdAt > answered }?.createdAt
                previews[id] = InboxPreview(
                    direction: last.direction, adapter: last.adapter, channel: last.channel, body: String(last.body.prefix(160)),
                    createdAt: last.createdAt, waitingSince: waiting)
            }
            return previews
        }
    }

    public func attachment(message: Int64, index: Int) async throws -> StoredAttachment? {
        tables.withLock { t -> StoredAttachment? in
            guard index >= 0, let list = t.messages[message]?.record.attachments, index < list.count else { return nil }
            let attachment = list[index]
            guard attachment.stored == true, let sha256 = attachment.sha256 else { return StoredAttachment(attachment: attachment, content: nil) }
            return StoredAttachment(attachment: attachment, content: t.contents[sha256])
        }
    }
}
