import Foundation

/// The memory engine's search: an inverted index of message words (kept as messages are stored or
/// edited), and customers' cards read as they are (a few hundred in a test).
struct MemorySearchIndex {
    /// Folded word → the messages holding it.
    var postings: [String: Set<Int64>] = [:]
    /// Each indexed message's words, in order (phrases are checked on them).
    var words: [Int64: [String]] = [:]
    /// Conversations taken out of the index (erasure): their cards no longer match.
    var forgotten: Set<Int64> = []

    static let indexedDirections: Set<MessageDirection> = [.inbound, .outbound, .note]

    mutating func index(_ record: MessageRecord) {
        remove(record.id)
        guard Self.indexedDirections.contains(record.direction) else { return }
        let tokens = SearchText.tokens(record.body) + SearchText.tokens(record.metadata?["subject"] ?? "")
        words[record.id] = tokens
        for token in Set(tokens) { postings[token, default: []].insert(record.id) }
    }

    mutating func remove(_ id: Int64) {
        guard let old = words.removeValue(forKey: id) else { return }
        for token in Set(old) { postings[token]?.remove(id) }
    }

    /// Messages holding every term (a candidate set from the postings, then phrases checked).
    func candidates(_ terms: [SearchTerm]) -> Set<Int64> {
        var result: Set<Int64>?
        for term in terms {
            var found = Set<Int64>()
            for token in term.tokens.prefix(1) {
                for (word, ids) in postings where SearchText.wordMatches(word, token) { found.formUnion(ids) }
            }
            result = result.map { $0.intersection(found) } ?? found
        }
        return (result ?? []).filter { id in terms.allSatisfy { $0.isFound(in: words[id] ?? []) } }
    }
}

extension MemoryStore {
    public func searchMessages(_ query: SearchQuery) async throws -> [SearchHit] {
        tables.withLock { t in
            var hits: [SearchHit] = []
            for id in t.search.candidates(query.terms).sorted(by: >) where hits.count < query.limit {
                if let before = query.before, id >= before { continue }
                guard let row = t.messages[id], let c = t.conversations[row.record.conversationID],
                    Self.passes(t, c, query), query.adapter.map({ $0 == row.record.adapter }) ?? true,
                    query.since.map({ row.record.createdAt >= $0 }) ?? true, query.until.map({ row.record.createdAt < $0 }) ?? true
                else { continue }
                hits.append(
                    SearchHit(
                        kind: .message, conversation: c.id, message: id,
                        customer: CustomerRef(id: c.customerID, name: t.customers[c.customerID]?.name),
                        createdAt: row.record.createdAt, status: c.status, body: row.record.body, direction: row.record.direction,
                        adapter: row.record.adapter, subject: row.record.metadata?["subject"]))
            }
            return hits
        }
    }

    public func searchConversations(_ query: SearchQuery) async throws -> [SearchHit] {
        tables.withLock { t in
            var hits: [SearchHit] = []
            for id in t.conversations.keys.sorted(by: >) where hits.count < query.limit {
                if let before = query.before, id >= before { continue }
                guard let c = t.conversations[id], !t.search.forgotten.contains(id), Self.passes(t, c, query) else { continue }
                let identities = Self.identities(t, of: c.customerID)
                if let adapter = query.adapter, !identities.contains(where: { $0.adapter == adapter }) { continue }
                if let since = query.since, c.lastMessageAt < since { continue }
                if let until = query.until, c.createdAt >= until { continue }
                let name = t.customers[c.customerID]?.name
                let tags = (t.tags[id] ?? []).sorted()
                let card = ([name ?? ""] + identities.map(\.address) + tags).flatMap(SearchText.tokens)
                guard query.terms.allSatisfy({ $0.isFound(in: card) }) else { continue }
                hits.append(
                    SearchHit(
                        kind: .conversation, conversation: id, customer: CustomerRef(id: c.customerID, name: name), createdAt: c.lastMessageAt,
                        status: c.status, addresses: identities.map(\.address), tags: tags))
            }
            return hits
        }
    }

    public func forgetSearch(conversation: Int64) async throws {
        tables.withLock { t in Self.forget(&t, conversation) }
    }

    public func forgetSearch(customer: Int64) async throws {
        tables.withLock { t in
            for (id, c) in t.conversations where c.customerID == customer { Self.forget(&t, id) }
        }
    }

    private static func forget(_ t: inout Tables, _ conversation: Int64) {
        t.search.forgotten.insert(conversation)
        for id in t.thread[conversation] ?? [] { t.search.remove(id) }
    }

    /// Status, tag and who may read it (theirs, or mentioned in it): what every kind of hit is filtered by.
    private static func passes(_ t: Tables, _ c: ConversationState, _ query: SearchQuery) -> Bool {
        guard c.status != .merged, query.status.map({ $0 == c.status }) ?? true else { return false }
        if let tag = query.tag, !(t.tags[c.id]?.contains(tag) ?? false) { return false }
        return query.viewer.canSee(owner: c.owner, assignee: c.assignee)
            || t.mentionTable.grants.contains(ReadGrant(conversation: c.id, agent: query.viewer.agentID))
    }
}
