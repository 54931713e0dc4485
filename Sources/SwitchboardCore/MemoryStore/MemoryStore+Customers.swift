import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    public func customer(_ id: Int64, now: Date) async throws -> CustomerDetail? {
        tables.withLock { Self.customerDetail($0, id, now: now) }
    }

    static func identities(_ t: Tables, of customer: Int64) -> [IdentityRecord] {
        t.identities.filter { $0.value.customer == customer }.sorted { $0.key < $1.key }
            .map { IdentityRecord(channel: $0.value.channel, adapter: $0.value.adapter, address: $0.value.address) }
    }

    static func customerDetail(_ t: Tables, _ id: Int64, now: Date) -> CustomerDetail? {
        guard let row = t.customers[id] else { return nil }
        let conversation = t.conversationOfCustomer[id]
        let byChannel = conversation.flatMap { t.contactCounts[$0] }?.filter { $0.value > 0 } ?? [:]
        var recent = 0
        for message in (conversation.map { t.messagesOf($0) } ?? [])
        where message.record.direction == .inbound && message.record.metadata?["automated"] == nil
            && message.record.createdAt >= now.addingTimeInterval(-30 * 86400)
        {
            recent += 1
        }
        return CustomerDetail(
            id: id, name: row.name, identities: identities(t, of: id), contacts: row.contacts, firstContactAt: row.firstContactAt,
            lastContactAt: row.lastContactAt, contactsByChannel: byChannel, contactsLast30Days: recent, conversation: conversation,
            mergedInto: row.mergedInto)
    }

    public func searchCustomers(_ text: String, viewer: Viewer, limit: Int) async throws -> [CustomerSummary] {
        tables.withLock { t in
            let needle = CustomerSearchNeedle(text).plain
            let found = t.customers.filter { id, row in
                guard row.mergedInto == nil, let c = t.conversationOfCustomer[id].flatMap({ t.conversations[$0] }) else { return false }
                guard
                    viewer.isSupervisor || c.owner == viewer.agentID || c.assignee == viewer.agentID
                        || t.mentionTable.grants.contains(ReadGrant(conversation: c.id, agent: viewer.agentID))
                else { return false }
                return (row.name?.lowercased().contains(needle) ?? false)
                    || t.identities.values.contains { $0.customer == id && $0.address.lowercased().contains(needle) }
            }
            // Newest contact first; a tie goes to the newer customer (as the SQL engines order it).
            let newestFirst = found.sorted {
                ($0.value.lastContactAt ?? .distantPast, $0.key) > ($1.value.lastContactAt ?? .distantPast, $1.key)
            }
            return newestFirst.prefix(limit).map { id, row in
                let c = t.conversationOfCustomer[id].flatMap { t.conversations[$0] }
                return CustomerSummary(
                    id: id, name: row.name, identities: Self.identities(t, of: id), contacts: row.contacts, lastContactAt: row.lastContactAt,
                    conversation: c?.id, owner: c?.owner, assignee: c?.assignee)
            }
        }
    }

    public func linkIdentity(
        customer: Int64, identity: ChannelIdentity, at: Date,
        _ plan: @escaping @Sendable (_ conversation: ConversationState?, _ holder: Int64?) throws -> PlannedMessage
    ) async throws -> MessageRecord {
        try tables.withLock { t in
            let live = t.customers[customer].map { $0.mergedInto == nil } ?? false
            let conversation = live ? t.conversationOfCustomer[customer].flatMap { t.conversations[$0] } : nil
            let holder = t.identityIndex[identity].flatMap { t.identities[$0]?.customer }
            let event = try plan(conversation, holder)
            guard let conversation else { throw StoreError.missing("customer \(customer)") }
            let id = t.id()
            t.identities[id] = IdentityRow(customer: customer, channel: identity.channel, address: identity.address, adapter: "linked")
            t.identityIndex[identity] = id
            return t.insert(event, ids: PlanIDs(customer: customer, conversation: conversation.id), identity: nil, earlier: [])
        }
    }

    public func merge(
        survivor: Int64, absorbed: Int64, at: Date,
        _ plan: @escaping @Sendable (_ survivor: MergeParty?, _ absorbed: MergeParty?) throws -> MergePlan
    ) async throws -> MergeOutcome {
        try tables.withLock { t in
            func party(_ id: Int64) -> MergeParty? {
                t.customers[id].map {
                    MergeParty(
                        customer: id, name: $0.name, mergedInto: $0.mergedInto,
                        conversation: t.conversationOfCustomer[id].flatMap { t.conversations[$0] })
                }
            }
            let planned = try plan(party(survivor), party(absorbed))
            let sID = planned.survivor.id
            let aID = planned.absorbed.id
            let before = (t.conversations[sID]!, t.conversations[aID]!)
            let movedIdentities = t.identities.filter { $0.value.customer == absorbed }.map(\.key)
            let movedMessages = t.thread[aID] ?? []
            t.merges.append(
                MergeRow(
                    id: t.id(), survivor: survivor, absorbed: absorbed, survivorState: before.0, absorbedState: before.1,
                    lastMessage: t.nextID - 1, movedIdentities: movedIdentities, movedMessages: movedMessages))
            let mergeID = t.merges.last!.id
            t.merges[t.merges.count - 1].mergedBy = planned.author
            t.merges[t.merges.count - 1].mergedAt = at
            for id in movedIdentities { t.identities[id]?.customer = survivor }
            move(&t, movedMessages, to: sID)
            t.tags[sID, default: []].formUnion(t.tags[aID] ?? [])
            t.addParticipants(
                (t.participants[aID] ?? []).map { ChannelIdentity(channel: $0.channel, address: $0.address) }, conversation: sID, at: at)
            t.conversations[sID] = planned.survivor
            t.conversations[aID] = planned.absorbed
            t.customers[absorbed]?.mergedInto = survivor
            if t.customers[survivor]?.name == nil {
                let name = t.customers[absorbed]?.name
                t.customers[survivor]?.name = name
            }
            recount(&t, customers: [survivor, absorbed], agents: [before.0.assignee, before.1.assignee, planned.survivor.assignee])
            let survivorEvent = PlannedMessage.event(
                .fixed(planned.survivorEvent(movedMessages.count)), author: planned.author, metadata: ["merge": String(mergeID)], at: at)
            let events = [
                t.insert(survivorEvent, ids: PlanIDs(customer: survivor, conversation: sID), identity: nil, earlier: []),
                t.insert(
                    .event(planned.absorbedEvent, author: planned.author, at: at), ids: PlanIDs(customer: absorbed, conversation: aID), identity: nil,
                    earlier: []),
            ]
            return MergeOutcome(
                survivor: planned.survivor.access, absorbed: planned.absorbed.access, events: events, movedMessages: movedMessages.count)
        }
    }

    public func unmerge(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (RecordedMerge?) throws -> UnmergePlan
    ) async throws -> MergeOutcome {
        try tables.withLock { t in
            let index = t.merges.lastIndex { $0.survivor == customer && !$0.undone }
            let merge = index.map { t.merges[$0] }
            let planned = try plan(
                merge.map {
                    RecordedMerge(
                        id: $0.id, survivor: $0.survivor, absorbed: $0.absorbed, survivorConversation: $0.survivorState.id,
                        absorbedConversation: $0.absorbedState.id)
                })
            guard let index, let merge else { throw StoreError.missing("merge into customer \(customer)") }
            let sID = merge.survivorState.id
            let aID = merge.absorbedState.id
            let before = t.conversations[sID]!
            // What the merge moved goes back; so does what arrived since through the moved identities,
            // with the replies, notes and events that answer those messages.
            for id in merge.movedIdentities { t.identities[id]?.customer = merge.absorbed }
            var back = merge.movedMessages
            let later = t.messagesOf(sID).filter { $0.record.id > merge.lastMessage }
            back += later.filter { $0.identity.map(merge.movedIdentities.contains) ?? false }.map(\.record.id)
            move(&t, back, to: aID)
            let returned = Set(t.thread[aID] ?? [])
            back = later.filter { $0.record.inReplyTo.map(returned.contains) ?? false }.map(\.record.id)
            move(&t, back, to: aID)
            t.conversations[aID] = merge.absorbedState
            t.conversations[sID] = merge.survivorState
            t.customers[merge.absorbed]?.mergedInto = nil
            t.merges[index].undone = true
            t.merges[index].undoneBy = planned.author
            t.merges[index].undoneAt = at
            recount(
                &t, customers: [customer, merge.absorbed], agents: [before.assignee, merge.survivorState.assignee, merge.absorbedState.assignee])
            let events = [
                t.insert(
                    .event(planned.survivorEvent, author: planned.author, at: at), ids: PlanIDs(customer: customer, conversation: sID), identity: nil,
                    earlier: []),
                t.insert(
                    .event(planned.absorbedEvent, author: planned.author, at: at), ids: PlanIDs(customer: merge.absorbed, conversation: aID),
                    identity: nil, earlier: []),
            ]
            return MergeOutcome(
                survivor: merge.survivorState.access, absorbed: merge.absorbedState.access, events: events,
                movedMessages: t.thread[aID]?.count ?? 0)
        }
    }

    private func move(_ t: inout Tables, _ ids: [Int64], to conversation: Int64) {
        for id in ids {
            guard let from = t.messages[id]?.record.conversationID, from != conversation else { continue }
            t.thread[from]?.removeAll { $0 == id }
            if var row = t.messages[id] {
                row.record.conversationID = conversation
                t.putMessage(id, row)
            }
            t.addToThread(id, conversation: conversation)
        }
    }

    /// Contact counts and open loads as the rows now say, after a merge or its undoing.
    private func recount(_ t: inout Tables, customers: [Int64], agents: [String?]) {
        for customer in customers {
            let thread: [MessageRow] = t.conversationOfCustomer[customer].map { t.messagesOf($0) } ?? []
            let times: [Date] = thread.filter { $0.record.direction == .inbound && $0.record.metadata?["automated"] == nil }.map {
                $0.record.createdAt
            }
            t.customers[customer]?.contacts = times.count
            t.customers[customer]?.firstContactAt = times.min()
            t.customers[customer]?.lastContactAt = times.max()
        }
        for agent in Set(agents.compactMap { $0 }) {
            t.agents[agent]?.openAssigned = t.conversations.values.filter { $0.assignee == agent && $0.carriesLoad }.count
        }
    }
}
