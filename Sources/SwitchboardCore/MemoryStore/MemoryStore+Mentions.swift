import Foundation

/// The memory engine's mentions and read grants.
struct MentionTable {
    var mentions: [Mention] = []
    var grants: Set<ReadGrant> = []
}

extension MemoryStore {
    public func note(conversation id: Int64, _ plan: @escaping @Sendable (ConversationState) throws -> NotePlan) async throws -> NoteOutcome {
        try tables.withLock { t in
            guard let state = t.conversations[id] else { throw StoreError.missing("conversation \(id)") }
            let planned = try plan(state)
            let applied = t.apply(planned.conversation)
            let note = applied.messages[0]
            let customer = CustomerRef(id: state.customerID, name: t.customers[state.customerID]?.name)
            var recorded: [Mention] = []
            for agent in planned.mentioned {
                t.mentionTable.grants.insert(ReadGrant(conversation: id, agent: agent))
                let mention = Mention(
                    id: t.id(), conversation: id, message: note.id, agent: agent, author: planned.author, createdAt: note.createdAt,
                    note: note.body, customer: customer)
                t.mentionTable.mentions.append(mention)
                recorded.append(mention)
            }
            return NoteOutcome(applied: applied, mentions: recorded)
        }
    }

    public func mentions(of agent: String, before: Int64?, limit: Int) async throws -> [Mention] {
        tables.withLock { t in
            t.mentionTable.mentions.filter { mention in mention.agent == agent && before.map { mention.id < $0 } ?? true }
                .sorted { $0.id > $1.id }.prefix(limit).map { mention in
                    var mention = mention
                    // Where the note and the customer are now (a merge may have moved them).
                    if let row = t.messages[mention.message] {
                        mention.conversation = row.record.conversationID
                        mention.note = row.record.body
                    }
                    if let c = t.conversations[mention.conversation] {
                        mention.customer = CustomerRef(id: c.customerID, name: t.customers[c.customerID]?.name)
                    }
                    return mention
                }
        }
    }

    public func hasReadGrant(agent: String, conversation: Int64) async throws -> Bool {
        tables.withLock { $0.mentionTable.grants.contains(ReadGrant(conversation: conversation, agent: agent)) }
    }

    public func readGrants() async throws -> [ReadGrant] {
        tables.withLock { Array($0.mentionTable.grants) }
    }
}
