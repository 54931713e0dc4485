import Foundation

/// Search over everything an agent may read: messages, customers, tags, references.
extension AgentDesk {
    /// How many of the most recent matches relevance ranks (customers and tags, messages): the
    /// engines find matches newest first cheaply at any size; ranking all of them would not be.
    static let rankedWindow = (conversations: 100, messages: 500)

    /// One page of results for `request`, only from conversations `viewer` may read.
    public func search(_ request: SearchRequest, for viewer: Viewer) async throws -> SearchPage {
        let text = request.text.trimmed
        guard !text.isEmpty else { throw ServiceError.badRequest("'q' is required: the words to look for") }
        guard text.count <= 200 else { throw ServiceError.badRequest("'q' must be at most 200 characters") }
        let terms = SearchTerm.parse(text)
        guard !terms.isEmpty else { throw ServiceError.badRequest("'q' must contain a word (letters or digits)") }
        guard (1...100).contains(request.limit) else { throw ServiceError.badRequest("'limit' must be between 1 and 100") }
        if let since = request.since, let until = request.until, until <= since {
            throw ServiceError.badRequest("'until' must be later than 'since'")
        }
        let cursor = try request.cursor.map { raw -> SearchCursor in
            guard let cursor = SearchCursor(raw) else { throw ServiceError.badRequest("'cursor' is not one this search gave") }
            return cursor
        }
        let tag = request.tag.map { $0.trimmed.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        let base = SearchQuery(
            terms: terms, viewer: viewer, status: request.status, adapter: request.adapter?.trimmed, tag: tag,
            since: request.since, until: request.until, limit: request.limit)

        switch request.order {
        case .relevance:
            switch cursor {
            case nil, .ranked?: break
            default: throw ServiceError.badRequest("'cursor' belongs to another order")
            }
            return try await rankedPage(base, typed: text, cursor: cursor)
        case .newest:
            if case .ranked? = cursor { throw ServiceError.badRequest("'cursor' belongs to another order") }
            return try await newestPage(base, typed: text, cursor: cursor)
        }
    }

    /// The referenced conversation first (first page only), then conversations found by customer
    /// or tag, then messages; each newest first.
    private func newestPage(_ base: SearchQuery, typed: String, cursor: SearchCursor?) async throws -> SearchPage {
        var results: [SearchResult] = []
        var seen = Set<Int64>()
        if cursor == nil, let referenced = try await referencedConversation(typed, viewer: base.viewer, query: base) {
            results.append(referenced)
            seen.insert(referenced.conversation)
        }
        var inConversations = cursor == nil
        if case .conversations? = cursor { inConversations = true }
        if inConversations {
            var query = base
            if case .conversations(let before)? = cursor { query.before = before }
            query.limit = base.limit - results.count + 1
            let found = try await store.searchConversations(query)
            let room = base.limit - results.count
            for hit in found.prefix(room) where !seen.contains(hit.conversation) {
                results.append(result(hit, terms: base.terms))
            }
            if found.count > room, let last = found.prefix(room).last {
                return SearchPage(results: results, nextCursor: SearchCursor.conversations(before: last.conversation).text)
            }
        }
        let room = base.limit - results.count
        guard room > 0 else {
            // A full page of customers: the messages follow on the next one, if there are any.
            var probe = base
            probe.limit = 1
            let more = try await !store.searchMessages(probe).isEmpty
            return SearchPage(results: results, nextCursor: more ? SearchCursor.messages(before: Int64.max).text : nil)
        }
        var query = base
        if case .messages(let before)? = cursor { query.before = before }
        query.limit = room + 1
        let found = try await store.searchMessages(query)
        results += found.prefix(room).map { result($0, terms: base.terms) }
        let next: SearchCursor? = found.count > room ? found.prefix(room).last.map { SearchCursor.messages(before: $0.pagingID) } : nil
        return SearchPage(results: results, nextCursor: next?.text)
    }

    /// The most relevant of the most recent matches (``rankedWindow``), paged by position.
    private func rankedPage(_ base: SearchQuery, typed: String, cursor: SearchCursor?) async throws -> SearchPage {
        var conversations = base
        var messages = base
        conversations.limit = Self.rankedWindow.conversations
        messages.limit = Self.rankedWindow.messages
        // Both windows at once (two readers): the page waits for the slower, not for both.
        async let cards = store.searchConversations(conversations)
        let found = try await store.searchMessages(messages)
        let hits = try await cards + found
        var ranked = SearchRanking.ranked(hits, terms: base.terms, typed: typed, now: now())
        let referenced = try await referencedConversation(typed, viewer: base.viewer, query: base)
        if let referenced { ranked.removeAll { $0.kind == .conversation && $0.conversation == referenced.conversation } }
        // The referenced conversation leads; snippets are made for this page's hits only.
        let lead = referenced == nil ? 0 : 1
        let total = ranked.count + lead
        let offset: Int = if case .ranked(let offset)? = cursor { offset } else { 0 }
        var page: [SearchResult] = []
        var index = offset
        while page.count < base.limit, index < total {
            if let referenced, index == 0 { page.append(referenced) } else { page.append(result(ranked[index - lead], terms: base.terms)) }
            index += 1
        }
        return SearchPage(results: page, nextCursor: index < total ? SearchCursor.ranked(offset: index).text : nil)
    }

    /// A reference in the query (`SB-000123-K7QMX`, with a right check part) names its
    /// conversation outright, when the agent may read it and it passes the status filter.
    private func referencedConversation(_ typed: String, viewer: Viewer, query: SearchQuery) async throws -> SearchResult? {
        guard let id = references.find(in: Substring(typed)), let access = try await store.access(conversation: id),
            try await canRead(access, viewer), access.status != .merged, query.status.map({ $0 == access.status }) ?? true,
            let detail = try await store.conversationHead(id)
        else { return nil }
        let reference = references.format(id)
        return SearchResult(
            conversation: id, message: nil, snippet: [SnippetPart(reference, match: true), SnippetPart(" · " + (detail.customer.name ?? ""))],
            createdAt: detail.messages.last?.createdAt ?? now(), customer: CustomerRef(id: detail.customer.id, name: detail.customer.name),
            reference: reference, status: detail.status, matched: .reference, direction: nil, adapter: nil)
    }

    private func result(_ hit: SearchHit, terms: [SearchTerm]) -> SearchResult {
        switch hit.kind {
        case .conversation:
            return SearchResult(
                conversation: hit.conversation, message: nil,
                snippet: SearchSnippet.card(name: hit.customer.name, addresses: hit.addresses, tags: hit.tags, terms: terms),
                createdAt: hit.createdAt, customer: hit.customer, reference: references.format(hit.conversation), status: hit.status,
                matched: .customer, direction: nil, adapter: nil)
        case .message:
            let body = hit.body ?? ""
            let bodyTokens = SearchText.tokens(body)
            // The subject when only it holds the words.
            let inBody = terms.contains { $0.isFound(in: bodyTokens) }
            let text = !inBody && hit.subject != nil ? (hit.subject ?? "") + " — " + body : body
            return SearchResult(
                conversation: hit.conversation, message: hit.message, snippet: SearchSnippet.make(text, terms: terms),
                createdAt: hit.createdAt, customer: hit.customer, reference: references.format(hit.conversation), status: hit.status,
                matched: .message, direction: hit.direction, adapter: hit.adapter)
        }
    }
}
