import Foundation
import GRDB
import SwitchboardCore

/// Search through the FTS5 index (see ``SQLiteSearchSchema``): matches come out of FTS5 newest
/// first (rowid descending, which FTS5 walks without sorting), filters join by primary key, and
/// the loop stops at the page's end, so a page costs the matches it skips, not the history.
extension SQLiteStore {
    public func searchMessages(_ query: SearchQuery) async throws -> [SearchHit] {
        // Everything stored before this search is found by it (the index runs a little behind).
        try await catchUpSearch(deadline: .now + Self.searchCatchUpWait)
        return try await pool.read { db in
            let (conditions, filterArguments) = Self.searchConditions(query, on: .messages)
            var arguments = filterArguments
            arguments += [query.limit]
            let sql = """
                SELECT h.*, cu.name AS customer_name, m.body, m.direction, \(SQLiteSearchSchema.subject("m.metadata")) AS subject
                FROM (
                    SELECT s.message_id, s.conversation_id, s.created_at, s.adapter, c.status, c.customer_id
                    FROM \(SQLiteMessageIndex.schema).message_text
                    JOIN search_messages s ON s.message_id = message_text.rowid
                    JOIN conversations c ON c.id = s.conversation_id
                    WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY message_text.rowid DESC LIMIT ?
                ) h
                JOIN messages m ON m.id = h.message_id JOIN customers cu ON cu.id = h.customer_id
                ORDER BY h.message_id DESC
                """
            // Columns by position (h.* is message_id, conversation_id, created_at, adapter, status,
            // customer_id): a relevance search maps hundreds of rows, and GRDB folds a name's case
            // at every lookup. The statement is kept per connection (its text varies only with the
            // filters given).
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
                SearchHit(
                    kind: .message, conversation: row[1], message: row[0], customer: CustomerRef(id: row[5], name: row[6]),
                    createdAt: (row[2] as Double?).map(Date.init(epoch:)) ?? Date(epoch: 0),
                    status: ConversationStatus(rawValue: row[4]) ?? .open, body: row[7],
                    direction: MessageDirection(rawValue: row[8]), adapter: row[3], subject: row[9])
            }
        }
    }

    public func searchConversations(_ query: SearchQuery) async throws -> [SearchHit] {
        try await pool.read { db in
            let (conditions, filterArguments) = Self.searchConditions(query, on: .conversations)
            var arguments = filterArguments
            arguments += [query.limit]
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT c.id, c.customer_id, c.status, c.last_message_at, cu.name AS customer_name
                        FROM search_conversation_text
                        JOIN conversations c ON c.id = search_conversation_text.rowid
                        JOIN customers cu ON cu.id = c.customer_id
                        WHERE \(conditions.joined(separator: " AND "))
                        ORDER BY search_conversation_text.rowid DESC LIMIT ?
                        """), arguments: arguments)
            return try rows.map { row in
                let id: Int64 = row["id"]
                let customer: Int64 = row["customer_id"]
                return SearchHit(
                    kind: .conversation, conversation: id, customer: CustomerRef(id: customer, name: row["customer_name"]),
                    createdAt: row.date("last_message_at") ?? Date(epoch: 0), status: ConversationStatus(rawValue: row["status"]) ?? .open,
                    addresses: try String.fetchAll(
                        db.cachedStatement(sql: "SELECT address FROM identities WHERE customer_id = ? ORDER BY id"), arguments: [customer]),
                    tags: try String.fetchAll(
                        db.cachedStatement(sql: "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag"), arguments: [id]))
            }
        }
    }

    public func forgetSearch(conversation: Int64) async throws {
        try await pool.write { db in try Self.forgetSearch(db, conversations: [conversation]) }
    }

    public func forgetSearch(customer: Int64) async throws {
        try await pool.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM conversations WHERE customer_id = ?", arguments: [customer])
            try Self.forgetSearch(db, conversations: ids)
        }
    }

    /// Takes conversations out of the index inside the caller's transaction (an erasure runs it
    /// with its own changes). FTS5 forgets an entry given the values it indexed, which are still
    /// in `messages`: they go to `search_changes` for the index's next pass (see
    /// ``SQLiteMessageIndex``); `search_messages` then no longer marks them, so later triggers leave
    /// them be.
    /// The conversation's messages are found through `messages` (their thread's index): an index of
    /// `search_messages` by conversation would cost every stored message a page for this alone.
    static func forgetSearch(_ db: Database, conversations: [Int64]) throws {
        for id in conversations {
            try db.execute(
                sql: """
                    INSERT INTO search_changes (message_id, body, subject)
                        SELECT m.id, m.body, \(SQLiteSearchSchema.subject("m.metadata"))
                        FROM messages m JOIN search_messages s ON s.message_id = m.id WHERE m.conversation_id = ?;
                    DELETE FROM search_messages WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?);
                    DELETE FROM search_conversation_text WHERE rowid = ?;
                    """, arguments: [id, id, id])
        }
    }

    /// Every term as an FTS5 phrase of its tokens, all required. Tokens are letters and digits
    /// only (``SearchText``), so quoting them cannot change the query's syntax.
    static func match(_ terms: [SearchTerm]) -> String {
        terms.map { "\"" + $0.tokens.joined(separator: " ") + "\"" }.joined(separator: " AND ")
    }

    /// What a search's terms, `before` cursor and `adapter`/`since`/`until` bounds apply to, for one
    /// kind of hit (the conversation is aliased `c`).
    struct SearchColumns {
        /// The FTS5 table matched (as named in conditions); its rowid is the `before` cursor.
        var index: String
        /// The condition on the adapter, with one `?`.
        var adapter: String
        var since: String
        var until: String

        static let messages = SearchColumns(index: "message_text", adapter: "s.adapter = ?", since: "s.created_at", until: "s.created_at")
        static let conversations = SearchColumns(
            index: "search_conversation_text",
            adapter: "EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id AND i.adapter = ?)",
            since: "c.last_message_at", until: "c.created_at")
    }

    /// The WHERE conditions of a search (the terms, ``conversationFilters(_:alias:)``, the cursor and
    /// the bounds) and their arguments.
    static func searchConditions(_ query: SearchQuery, on columns: SearchColumns) -> (conditions: [String], arguments: StatementArguments) {
        let filters = conversationFilters(query, alias: "c")
        var conditions = ["\(columns.index) MATCH ?"] + filters.conditions
        var arguments: StatementArguments = [match(query.terms)]
        arguments += filters.arguments
        if let before = query.before {
            conditions.append("\(columns.index).rowid < ?")
            arguments += [before]
        }
        if let adapter = query.adapter {
            conditions.append(columns.adapter)
            arguments += [adapter]
        }
        if let since = query.since {
            conditions.append("\(columns.since) >= ?")
            arguments += [since.epoch]
        }
        if let until = query.until {
            conditions.append("\(columns.until) < ?")
            arguments += [until.epoch]
        }
        return (conditions, arguments)
    }

    /// Status, tag and who may read it (theirs, or mentioned in it), on the conversation aliased `c`.
    static func conversationFilters(_ query: SearchQuery, alias c: String) -> (conditions: [String], arguments: StatementArguments) {
        var conditions = ["\(c).status <> 'merged'"]
        var arguments: StatementArguments = []
        if let status = query.status {
            conditions.append("\(c).status = ?")
            arguments += [status.rawValue]
        }
        if let tag = query.tag {
            conditions.append("EXISTS (SELECT 1 FROM conversation_tags ct WHERE ct.conversation_id = \(c).id AND ct.tag = ?)")
            arguments += [tag]
        }
        if !query.viewer.isSupervisor {
            conditions.append(seenBy(c, agent: "?"))
            arguments += [query.viewer.agentID, query.viewer.agentID, query.viewer.agentID]
        }
        return (conditions, arguments)
    }

    /// Whether the agent `agent` (a parameter: `?`, bound three times, or a name) may read the
    /// conversation aliased `c`: theirs, or mentioned in it.
    static func seenBy(_ c: String, agent: String) -> String {
        """
        (\(c).owner = \(agent) OR \(c).assignee = \(agent)
            OR EXISTS (SELECT 1 FROM conversation_grants g WHERE g.conversation_id = \(c).id AND g.agent_id = \(agent)))
        """
    }
}
