import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    public func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        tables.withLock { t in
            items.map { item in
                let outcome: IngestOutcome =
                    switch item.event {
                    case .message(let message): Self.ingest(&t, item, message, policy)
                    case .deliveryStatus(let update): Self.deliveryStatus(&t, adapter: item.adapter, update)
                    case .edit(let message, let editedAt): Self.edit(&t, item, message, editedAt: editedAt, policy)
                    case .ignored(let reason): .ignored(reason: reason.code)
                    }
                if let journal = policy.journal { t.enqueue(journal(outcome)) }
                return outcome
            }
        }
    }

    static func ingest(_ t: inout Tables, _ item: IngestItem, _ message: InboundMessage, _ policy: IngestPolicy) -> IngestOutcome {
        let snapshot = snapshot(t, item, message, policy)
        switch InboundPlanner.plan(item, message, snapshot, loads: t.loads, policy: policy) {
        case .duplicate(let ref):
            return .duplicate(ref)
        case .file(let planned, let conversation):
            let record = t.insert(planned, ids: PlanIDs(customer: conversation.customerID, conversation: conversation.id), identity: nil, earlier: [])
            return .stored(StoredInbound(message: record, conversation: conversation.access, customer: conversation.customerID))
        case .store(let plan):
            let customerID: Int64
            let identityID: Int64
            if let known = plan.customer {
                (customerID, identityID) = (known.id, known.identity)
                if t.customers[known.id]?.name == nil, let name = plan.customerName { t.customers[known.id]?.name = name }
            } else {
                customerID = t.id()
                t.customers[customerID] = CustomerRow(name: plan.customerName, createdAt: plan.at)
                identityID = t.id()
                t.identities[identityID] = IdentityRow(
                    customer: customerID, channel: plan.identity.channel, address: plan.identity.address, adapter: item.adapter)
                t.identityIndex[plan.identity] = identityID
            }
            var state = plan.conversation
            state.customerID = customerID
            if plan.newConversation {
                state.id = t.id()
                t.conversationOfCustomer[customerID] = state.id
            }
            t.conversations[state.id] = state
            plan.loads.forEach { t.apply($0) }
            if plan.countsContact {
                t.customers[customerID]?.contacts += 1
                let first = t.customers[customerID]?.firstContactAt ?? plan.at
                t.customers[customerID]?.firstContactAt = first
                t.customers[customerID]?.lastContactAt = plan.at
            }
            let ids = PlanIDs(customer: customerID, conversation: state.id)
            t.addParticipants(plan.participants, conversation: state.id, at: plan.at)
            var records: [MessageRecord] = []
            for planned in plan.messages { records.append(t.insert(planned, ids: ids, identity: identityID, earlier: records)) }
            var assignment = plan.assignment
            assignment?.event = plan.assignmentEvent.map { records[$0] }
            return .stored(
                StoredInbound(
                    message: records[0], conversation: state.access, customer: customerID, assignment: assignment,
                    related: records.indices.dropFirst().filter { $0 != plan.assignmentEvent }.map { records[$0] },
                    acknowledged: plan.acknowledgement != nil, started: plan.started))
        }
    }

    static func snapshot(_ t: Tables, _ item: IngestItem, _ message: InboundMessage, _ policy: IngestPolicy) -> InboundSnapshot {
        let identity = policy.normalizer.normalize(message.from)
        var snapshot = InboundSnapshot(identity: identity)
        for direction in message.kind == .activity ? [MessageDirection.inbound, .event] : [.inbound] {
            if let id = t.messageIndex[MessageKey(adapter: item.adapter, externalID: message.externalID, direction: direction)],
                let row = t.messages[id]
            {
                snapshot.duplicate = StoredMessageRef(message: id, conversation: row.record.conversationID)
                return snapshot
            }
        }
        snapshot.answered = answered(t, adapter: item.adapter, references: message.references)
        if let identityID = t.identityIndex[identity], let row = t.identities[identityID], let customer = t.customers[row.customer] {
            snapshot.customer = KnownCustomer(id: row.customer, identity: identityID, name: customer.name, lastContactAt: customer.lastContactAt)
            snapshot.conversation = t.conversationOfCustomer[row.customer].flatMap { t.conversations[$0] }
        }
        if InboundSnapshot.needsQuotedReference(message, customer: snapshot.customer, answered: snapshot.answered),
            let id = QuotedReference.find(in: message, references: policy.references), let quoted = t.conversations[id], quoted.status != .merged
        {
            snapshot.quoted = QuotedConversation(conversation: id, customer: quoted.customerID)
        }
        if InboundSnapshot.needsAnsweredConversation(message, answered: snapshot.answered), let answered = snapshot.answered {
            snapshot.answeredConversation = t.conversations[answered.conversation]
        }
        if let candidate = InboundSnapshot.participantCandidate(message, snapshot),
            t.participants[candidate.conversation]?.contains(where: { $0.channel == identity.channel && $0.address == identity.address }) == true
        {
            snapshot.participantOf = t.conversations[candidate.conversation]
        }
        return snapshot
    }

    static func answered(_ t: Tables, adapter: String, references: [String]) -> AnsweredMessage? {
        for reference in references.prefix(20) where !reference.isEmpty {
            for direction in [MessageDirection.inbound, .outbound] {
                if let id = t.messageIndex[MessageKey(adapter: adapter, externalID: reference, direction: direction)],
                    let row = t.messages[id], let conversation = t.conversations[row.record.conversationID]
                {
                    return AnsweredMessage(
                        message: id, conversation: conversation.id, customer: conversation.customerID, ours: direction == .outbound)
                }
            }
        }
        return nil
    }

    static func deliveryStatus(_ t: inout Tables, adapter: String, _ update: DeliveryStatusUpdate) -> IngestOutcome {
        guard let id = t.messageIndex[MessageKey(adapter: adapter, externalID: update.externalID, direction: .outbound)],
            var row = t.messages[id], let conversation = t.conversations[row.record.conversationID]
        else {
            t.earlyStatuses[adapter + "\u{0}" + update.externalID, default: []].append((update.state, update.error))
            return .ignored(reason: IgnoreReason.statusForUnknownMessage.code)
        }
        advance(&row, to: update.state, error: update.error)
        t.messages[id] = row
        return .deliveryUpdated(row.record, conversation.access)
    }

    static func advance(_ row: inout MessageRow, to state: DeliveryStatusUpdate.State, error: String?) {
        let current = row.record.delivery?.state ?? .queued
        guard let next = current.advanced(by: state) else { return }
        row.record.delivery = DeliveryInfo(state: next, attempts: row.record.delivery?.attempts ?? 0, error: error)
    }

    static func edit(_ t: inout Tables, _ item: IngestItem, _ message: InboundMessage, editedAt: Date?, _ policy: IngestPolicy) -> IngestOutcome {
        guard let id = t.messageIndex[MessageKey(adapter: item.adapter, externalID: message.externalID, direction: .inbound)],
            var row = t.messages[id], let conversation = t.conversations[row.record.conversationID]
        else {
            var stored = message
            stored.metadata["edited"] = "true"
            return ingest(&t, item, stored, policy)
        }
        guard row.record.body != message.text else { return .duplicate(StoredMessageRef(message: id, conversation: conversation.id)) }
        row.record.originalBody = row.record.originalBody ?? row.record.body
        row.record.body = message.text
        row.record.editedAt = editedAt ?? item.receivedAt
        if !message.attachments.isEmpty { row.record.attachments = message.attachments }
        t.messages[id] = row
        t.search.index(row.record)
        return .edited(row.record, conversation.access)
    }
}

extension MemoryStore.Tables {
    /// Records participants of a conversation, each (channel, address) once.
    mutating func addParticipants(_ people: [ChannelIdentity], conversation: Int64, at: Date) {
        for person in people
        where participants[conversation]?.contains(where: { $0.channel == person.channel && $0.address == person.address }) != true {
            participants[conversation, default: []].append(ConversationParticipant(channel: person.channel, address: person.address, addedAt: at))
        }
    }
}

extension MemoryStore {
    public func participants(conversation id: Int64) async throws -> [ConversationParticipant] {
        tables.withLock { ($0.participants[id] ?? []).sorted { ($0.addedAt, $0.address) < ($1.addedAt, $1.address) } }
    }

    public func removeParticipant(conversation id: Int64, channel: String, address: String) async throws -> Bool {
        tables.withLock { t in
            let before = t.participants[id]?.count ?? 0
            t.participants[id]?.removeAll { $0.channel == channel && $0.address == address }
            return (t.participants[id]?.count ?? 0) < before
        }
    }
}
