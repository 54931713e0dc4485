import GRDB

/// Marking an ingest group's messages for search in one go, at the end of its transaction (migration
/// 026).
///
/// `begin` notes the highest message, conversation and identity ids and sets the deferral mark, so the
/// insert triggers stand aside; `finish` marks every message stored since for the index
/// (`search_messages`: their words go into the index's own file, ``SQLiteMessageIndex``) and refreshes
/// the cards of new conversations and of customers with a new address, with one statement each, then
/// clears the mark — all inside the group's transaction.
/// New rows always get ids above the ones noted: SQLite gives a new row the largest rowid plus one.
struct SQLiteSearchDeferral {
    private let lastMessage: Int64
    private let lastConversation: Int64
    private let lastIdentity: Int64

    static func begin(_ db: Database) throws -> SQLiteSearchDeferral {
        let last = try db.cachedStatement(
            sql: """
                SELECT (SELECT coalesce(max(id), 0) FROM messages), (SELECT coalesce(max(id), 0) FROM conversations),
                    (SELECT coalesce(max(id), 0) FROM identities)
                """
        ).first { (message: $0[0] as Int64, conversation: $0[1] as Int64, identity: $0[2] as Int64) }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO search_deferred (id) VALUES (1)").execute()
        return SQLiteSearchDeferral(lastMessage: last?.message ?? 0, lastConversation: last?.conversation ?? 0, lastIdentity: last?.identity ?? 0)
    }

    func finish(_ db: Database) throws {
        #if BENCH_WITHOUT_SEARCH_INDEX
        // Only in the build scripts/bench-compare.sh makes to price the search index (issue 16's
        // refactor measured without the features that came after it): nothing is indexed, and the
        // mark stays, so the insert triggers stand aside too.
        #else
        try db.cachedStatement(
            sql: """
                INSERT INTO search_messages (message_id, conversation_id, created_at, adapter)
                    SELECT id, conversation_id, created_at, adapter FROM messages WHERE id > ? AND \(SQLiteSearchSchema.isIndexed("direction"))
                """
        ).execute(arguments: [lastMessage])
        // Most groups are returning customers' messages: no card or customer entry changed, and the
        // four statements that rebuild them would each still plan and scan (a third of this step).
        let added =
            try db.cachedStatement(
                sql: "SELECT EXISTS (SELECT 1 FROM conversations WHERE id > ?1) OR EXISTS (SELECT 1 FROM identities WHERE id > ?2)"
            ).first([lastConversation, lastIdentity]) { $0[0] as Bool } ?? true
        if added {
            let cards = """
                SELECT id FROM conversations WHERE id > ?1
                UNION SELECT c.id FROM identities i JOIN conversations c ON c.customer_id = i.customer_id WHERE i.id > ?2
                """
            for statement in SQLiteSearchSchema.refreshCardStatements(cards) {
                try db.cachedStatement(sql: statement).execute(arguments: [lastConversation, lastIdentity])
            }
            try SQLiteCustomerTrigrams.deferredRefresh(db, lastIdentity: lastIdentity)
        }
        try db.cachedStatement(sql: "DELETE FROM search_deferred").execute()
        #endif
    }
}
