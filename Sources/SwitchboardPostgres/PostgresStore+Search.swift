import Foundation
import PostgresNIO
import SwitchboardCore

/// Search through the `tsvector` index (see ``PostgresSearchSchema``): newest first by primary key,
/// PostgreSQL choosing between the GIN index (rare words) and walking the newest rows (common
/// ones); the page's rows are then joined for their text.
extension PostgresStore {
    public func searchMessages(_ query: SearchQuery) async throws -> [SearchHit] {
        try await read { db in
            var binds = PostgresBindings()
            let conditions = Self.searchConditions(query, on: .messages, binds: &binds)
            binds.append(query.limit)
            let sql = """
                SELECT h.*, cu.name AS customer_name, m.body, m.direction, search_subject(m.metadata) AS subject
                FROM (
                    SELECT s.message_id, s.conversation_id, s.created_at, s.adapter, c.status, c.customer_id
                    FROM search_messages s JOIN conversations c ON c.id = s.conversation_id
                    WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY s.message_id DESC LIMIT $\(binds.count)
                ) h
                JOIN messages m ON m.id = h.message_id JOIN customers cu ON cu.id = h.customer_id
                ORDER BY h.message_id DESC
                """
            return try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { row in
                SearchHit(
                    kind: .message, conversation: try row["conversation_id"], message: try row["message_id"],
                    customer: CustomerRef(id: try row["customer_id"], name: try row["customer_name"]),
                    createdAt: try row.date("created_at") ?? Date(epoch: 0), status: ConversationStatus(rawValue: try row["status"]) ?? .open,
                    body: try row["body"], direction: MessageDirection(rawValue: try row["direction"]), adapter: try row["adapter"],
                    subject: try row["subject"])
            }
        }
    }

    public func searchConversations(_ query: SearchQuery) async throws -> [SearchHit] {
        try await read { db in
            var binds = PostgresBindings()
            let conditions = Self.searchConditions(query, on: .conversations, binds: &binds)
            binds.append(query.limit)
            let rows = try await db.rows(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT c.id, c.customer_id, c.status, c.last_message_at, cu.name AS customer_name,
                            ARRAY(SELECT i.address FROM identities i WHERE i.customer_id = c.customer_id ORDER BY i.id) AS addresses,
                            ARRAY(SELECT g.tag FROM conversation_tags g WHERE g.conversation_id = c.id ORDER BY g.tag) AS tags
                        FROM search_conversations s
                        JOIN conversations c ON c.id = s.conversation_id
                        JOIN customers cu ON cu.id = c.customer_id
                        WHERE \(conditions.joined(separator: " AND "))
                        ORDER BY s.conversation_id DESC LIMIT $\(binds.count)
                        """, binds: binds))
            return try rows.map { row in
                SearchHit(
                    kind: .conversation, conversation: try row["id"],
                    customer: CustomerRef(id: try row["customer_id"], name: try row["customer_name"]),
                    createdAt: try row.date("last_message_at") ?? Date(epoch: 0), status: ConversationStatus(rawValue: try row["status"]) ?? .open,
                    addresses: try row["addresses"], tags: try row["tags"])
            }
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

    /// What a search's terms, `before` cursor and `adapter`/`since`/`until` bounds apply to, for one
    /// kind of hit (the index aliased `s`, the conversation `c`).
    struct SearchColumns: Sendable {
        /// The SQL function turning the terms (`$1`) into the index's query.
        var query: String
        /// The index's key: the `before` cursor.
        var position: String
        /// The condition on the adapter, given its parameter (`$n`).
        var adapter: @Sendable (String) -> String
        var since: String
        var until: String

        static let messages = SearchColumns(
            query: "search_message_query", position: "s.message_id", adapter: { "s.adapter = \($0)" }, since: "s.created_at",
            until: "s.created_at")
        static let conversations = SearchColumns(
            query: "search_card_query", position: "s.conversation_id",
            adapter: { "EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id AND i.adapter = \($0))" },
            since: "c.last_message_at", until: "c.created_at")
    }

    /// The WHERE conditions of a search (the terms, ``conversationFilters(_:alias:binds:)``, the cursor
    /// and the bounds), their values appended to `binds`.
    static func searchConditions(_ query: SearchQuery, on columns: SearchColumns, binds: inout PostgresBindings) -> [String] {
        binds.append(websearch(query.terms))
        var conditions = ["s.document @@ \(columns.query)($\(binds.count))"]
        conditions += conversationFilters(query, alias: "c", binds: &binds)
        if let before = query.before {
            binds.append(before)
            conditions.append("\(columns.position) < $\(binds.count)")
        }
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
