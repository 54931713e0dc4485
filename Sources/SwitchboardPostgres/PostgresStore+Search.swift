import Foundation
import PostgresNIO
import SwitchboardCore

/// Search through the `tsvector` index (see ``PostgresSearchSchema``): newest first by primary key,
/// read in windows of ids or from the GIN index as the matches' density says
/// (``PostgresSearchWindows``); the page's rows are then joined for their text.
extension PostgresStore {
    public func searchMessages(_ query: SearchQuery) async throws -> [SearchHit] {
        try await searchMessages(query, span: nil)
    }

    /// ``searchMessages(_:)`` with the first window's size chosen (tests).
    func searchMessages(_ query: SearchQuery, span: Int64?) async throws -> [SearchHit] {
        try await read { db in
            let ids = try await Self.searchIDs(db, table: "search_messages", key: "message_id")
            return try await PostgresSearchWindows.newestFirst(limit: query.limit, before: query.before, ids: ids, span: span) { range, needed in
                var binds = PostgresBindings()
                binds.append(Self.websearch(query.terms))
                let within = Self.searchRange(range, key: "s.message_id", binds: &binds)
                let columns = "s.message_id, s.conversation_id, s.created_at, s.adapter"
                var matches = "SELECT \(columns) FROM search_messages s WHERE s.document @@ search_message_query($1) AND \(within)"
                if !query.viewer.isSupervisor {
                    // Only the matches the agent may see are read (and counted): those of the
                    // conversations they hold, from the index of words and holders, and those of
                    // conversations they were mentioned in. The filters below still decide.
                    binds.append(query.viewer.agentID)
                    let me = "$\(binds.count)"
                    matches = """
                        \(matches) AND s.holders @> ARRAY[\(me)]::text[]
                        UNION
                        SELECT \(columns) FROM conversation_grants g JOIN search_messages s ON s.conversation_id = g.conversation_id
                        WHERE g.agent_id = \(me) AND s.document @@ search_message_query($1) AND \(within)
                        """
                }
                let filters = Self.searchFilters(query, on: .messages, binds: &binds)
                binds.append(needed)
                let sql = """
                    WITH w AS MATERIALIZED (
                        \(matches)
                    )
                    SELECT k.matched, p.* FROM (SELECT count(*) AS matched FROM w) k LEFT JOIN (
                        SELECT h.*, cu.name AS customer_name, m.body, m.direction, search_subject(m.metadata) AS subject
                        FROM (
                            SELECT s.message_id, s.conversation_id, s.created_at, s.adapter, c.status, c.customer_id
                            FROM w s JOIN conversations c ON c.id = s.conversation_id
                            WHERE \(filters.joined(separator: " AND "))
                            ORDER BY s.message_id DESC LIMIT $\(binds.count)
                        ) h
                        JOIN messages m ON m.id = h.message_id JOIN customers cu ON cu.id = h.customer_id
                    ) p ON true
                    ORDER BY p.message_id DESC
                    """
                let rows = try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds))
                let matched: Int = try rows.first?["matched"] ?? 0
                let hits = try rows.compactMap { row -> SearchHit? in
                    guard let message: Int64 = try row["message_id"] else { return nil }
                    return SearchHit(
                        kind: .message, conversation: try row["conversation_id"], message: message,
                        customer: CustomerRef(id: try row["customer_id"], name: try row["customer_name"]),
                        createdAt: try row.date("created_at") ?? Date(epoch: 0),
                        status: ConversationStatus(rawValue: try row["status"]) ?? .open,
                        body: try row["body"], direction: MessageDirection(rawValue: try row["direction"]), adapter: try row["adapter"],
                        subject: try row["subject"])
                }
                return PostgresSearchWindows.Window(matched: matched, rows: hits)
            }
        }
    }

    public func searchConversations(_ query: SearchQuery) async throws -> [SearchHit] {
        try await searchConversations(query, span: nil)
    }

    /// ``searchConversations(_:)`` with the first window's size chosen (tests).
    func searchConversations(_ query: SearchQuery, span: Int64?) async throws -> [SearchHit] {
        try await read { db in
            let ids = try await Self.searchIDs(db, table: "search_conversations", key: "conversation_id")
            return try await PostgresSearchWindows.newestFirst(limit: query.limit, before: query.before, ids: ids, span: span) { range, needed in
                var binds = PostgresBindings()
                binds.append(Self.websearch(query.terms))
                let within = Self.searchRange(range, key: "s.conversation_id", binds: &binds)
                let filters = Self.searchFilters(query, on: .conversations, binds: &binds)
                binds.append(needed)
                let sql = """
                    WITH w AS MATERIALIZED (
                        SELECT s.conversation_id FROM search_conversations s
                        WHERE s.document @@ search_card_query($1) AND \(within)
                    )
                    SELECT k.matched, p.* FROM (SELECT count(*) AS matched FROM w) k LEFT JOIN (
                        SELECT c.id, c.customer_id, c.status, c.last_message_at, cu.name AS customer_name,
                            ARRAY(SELECT i.address FROM identities i WHERE i.customer_id = c.customer_id ORDER BY i.id) AS addresses,
                            ARRAY(SELECT g.tag FROM conversation_tags g WHERE g.conversation_id = c.id ORDER BY g.tag) AS tags
                        FROM w s
                        JOIN conversations c ON c.id = s.conversation_id
                        JOIN customers cu ON cu.id = c.customer_id
                        WHERE \(filters.joined(separator: " AND "))
                        ORDER BY s.conversation_id DESC LIMIT $\(binds.count)
                    ) p ON true
                    ORDER BY p.id DESC
                    """
                let rows = try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds))
                let matched: Int = try rows.first?["matched"] ?? 0
                let hits = try rows.compactMap { row -> SearchHit? in
                    guard let id: Int64 = try row["id"] else { return nil }
                    return SearchHit(
                        kind: .conversation, conversation: id,
                        customer: CustomerRef(id: try row["customer_id"], name: try row["customer_name"]),
                        createdAt: try row.date("last_message_at") ?? Date(epoch: 0),
                        status: ConversationStatus(rawValue: try row["status"]) ?? .open,
                        addresses: try row["addresses"], tags: try row["tags"])
                }
                return PostgresSearchWindows.Window(matched: matched, rows: hits)
            }
        }
    }

    /// The smallest and largest id an index table holds (nil when it is empty): the ends of the walk.
    static func searchIDs(_ db: PGSession, table: String, key: String) async throws -> (min: Int64, max: Int64)? {
        guard let row = try await db.row(PostgresQuery(unsafeSQL: "SELECT min(\(key)) AS lo, max(\(key)) AS hi FROM \(table)")),
            let lo: Int64 = try row["lo"], let hi: Int64 = try row["hi"]
        else { return nil }
        return (lo, hi)
    }

    /// The condition on the index's key for one read of ``PostgresSearchWindows``: a range of the
    /// primary key, or everything below an id written so that only the GIN index can serve it.
    static func searchRange(_ range: PostgresSearchWindows.Range, key: String, binds: inout PostgresBindings) -> String {
        switch range {
        case .window(let lo, let hi):
            binds.append(lo)
            binds.append(hi)
            return "\(key) >= $\(binds.count - 1) AND \(key) < $\(binds.count)"
        case .indexed(let below):
            binds.append(below)
            return "\(key) + 0 < $\(binds.count)"
        }
    }

    public func forgetSearch(conversation: Int64) async throws {
        try await write { db in try await Self.forgetSearch(db, conversations: [conversation]) }
    }

    public func forgetSearch(customer: Int64) async throws {
        try await write { db in
            let ids = try await db.values("SELECT id FROM conversations WHERE customer_id = \(customer)", as: Int64.self)
            try await Self.forgetSearch(db, conversations: ids)
        }
    }

    /// Takes conversations out of the index inside the caller's transaction (an erasure runs it
    /// with its own changes); what is stored for them later is indexed again.
    static func forgetSearch(_ db: PGSession, conversations: [Int64]) async throws {
        guard !conversations.isEmpty else { return }
        try await db.execute("DELETE FROM search_messages WHERE conversation_id = ANY(\(conversations))")
        try await db.execute("DELETE FROM search_conversations WHERE conversation_id = ANY(\(conversations))")
    }

    /// The terms as `websearch_to_tsquery` input: each one quoted (a phrase of its words, and never
    /// an operator such as `or` or a leading `-`), all required.
    static func websearch(_ terms: [SearchTerm]) -> String {
        terms.map { term in "\"" + term.text.replacingOccurrences(of: "\"", with: " ") + "\"" }.joined(separator: " ")
    }

    /// What a search's `adapter`/`since`/`until` bounds apply to, for one kind of hit (the index
    /// aliased `s`, the conversation `c`).
    struct SearchColumns: Sendable {
        /// The condition on the adapter, given its parameter (`$n`).
        var adapter: @Sendable (String) -> String
        var since: String
        var until: String

        static let messages = SearchColumns(adapter: { "s.adapter = \($0)" }, since: "s.created_at", until: "s.created_at")
        static let conversations = SearchColumns(
            adapter: { "EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id AND i.adapter = \($0))" },
            since: "c.last_message_at", until: "c.created_at")
    }

    /// The WHERE conditions of a search besides its terms and position (``conversationFilters(_:alias:binds:)``
    /// and the `adapter`/`since`/`until` bounds), their values appended to `binds`.
    static func searchFilters(_ query: SearchQuery, on columns: SearchColumns, binds: inout PostgresBindings) -> [String] {
        var conditions = conversationFilters(query, alias: "c", binds: &binds)
        if let adapter = query.adapter {
            binds.append(adapter)
            conditions.append(columns.adapter("$\(binds.count)"))
        }
        if let since = query.since {
            binds.append(since.epoch)
            conditions.append("\(columns.since) >= $\(binds.count)")
        }
        if let until = query.until {
            binds.append(until.epoch)
            conditions.append("\(columns.until) < $\(binds.count)")
        }
        return conditions
    }

    /// Status, tag and who may read it (theirs, or mentioned in it), on the conversation aliased `c`.
    static func conversationFilters(_ query: SearchQuery, alias c: String, binds: inout PostgresBindings) -> [String] {
        var conditions = ["\(c).status <> 'merged'"]
        if let status = query.status {
            binds.append(status.rawValue)
            conditions.append("\(c).status = $\(binds.count)")
        }
        if let tag = query.tag {
            binds.append(tag)
            conditions.append("EXISTS (SELECT 1 FROM conversation_tags ct WHERE ct.conversation_id = \(c).id AND ct.tag = $\(binds.count))")
        }
        if !query.viewer.isSupervisor {
            binds.append(query.viewer.agentID)
            let me = "$\(binds.count)"
            conditions.append(
                """
                (\(c).owner = \(me) OR \(c).assignee = \(me)
                    OR EXISTS (SELECT 1 FROM conversation_grants g WHERE g.conversation_id = \(c).id AND g.agent_id = \(me)))
                """)
        }
        return conditions
    }
}
