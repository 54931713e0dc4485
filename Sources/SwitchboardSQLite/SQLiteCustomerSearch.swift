import GRDB
import SwitchboardCore

/// Customer search on SQLite: a fragment of a name or an address, anywhere in it, newest contact
/// first. The trigram index (``SQLiteCustomerTrigrams``) names the customers that may hold the
/// fragment; `LIKE` decides. Which side drives the read is chosen per search, because the costs
/// differ by orders of magnitude at 10 M messages (1.25 M customers, `García` in 22,733; figures
/// from `sqlite3` on that database, warm, a slow hour):
///
/// - A supervisor sees everyone: the candidates' customer rows are read and sorted, and only the
///   page is joined to its conversation (joining every candidate first read 22,733 conversation
///   rows: 220 ms; without, 46–59 ms).
/// - An agent sees what they hold (owner, assignee) or were granted. Checking a candidate reads its
///   conversation row, outside the reader's cache (`Lucía García`, 476 candidates: 32–60 ms);
///   reading what they hold walks the covering indexes of migration 034 and reads only the
///   customers that are also candidates (a20, 40,000 entries: 20–31 ms for the same search; for
///   `García` 38 ms, where checking the candidates took 234–313). So the candidates drive only
///   when they are few against what the agent holds.
enum SQLiteCustomerSearch {
    /// Held entries read for the price of one candidate checked (the figures above: 40,000
    /// entries cost about what 476 candidates cost).
    static let heldPerCandidate = 100
    /// Beyond this many candidates, checking them one by one is never the cheaper side.
    static let mostCandidatesChecked = 2_000

    /// Which side an agent's search reads first.
    enum Drive { case candidates, held }

    /// The page: ids of matching customers the viewer may see, newest contact first (ties: the
    /// newer customer first, so that the order is the same whichever side drove). `drive` is
    /// chosen by counting unless given (tests compare the two).
    static func page(_ db: Database, _ text: String, viewer: Viewer, limit: Int, drive: Drive? = nil) throws -> [Int64] {
        let needle = CustomerSearchNeedle(text)
        let pattern = needle.likePattern
        let candidates = SQLiteCustomerTrigrams.candidates(needle.plain)
        var arguments: [String: (any DatabaseValueConvertible)?] = [:]
        let fromCandidates = """
            (SELECT rowid AS id FROM customer_trigrams WHERE customer_trigrams MATCH :candidates) t CROSS JOIN customers cu ON cu.id = t.id
            """
        let source: String
        var visible = ""
        var distinct = ""
        if viewer.isSupervisor {
            source = candidates == nil ? "customers cu" : fromCandidates
        } else {
            arguments["agent"] = viewer.agentID
            let chosen = try drive ?? (candidates.map { try fewCandidates(db, $0, agent: viewer.agentID) } ?? false ? .candidates : .held)
            if candidates != nil, chosen == .candidates {
                source = fromCandidates
                visible = "AND EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = cu.id AND \(SQLiteStore.seenBy("c", agent: ":agent")))"
            } else {
                // Owner and assignee are mostly the same agent: the page is made distinct, which
                // costs the matches, not a set of everything held (65,000 twice for a01 at 10 M).
                source = """
                    (SELECT customer_id FROM conversations WHERE assignee = :agent
                        UNION ALL SELECT customer_id FROM conversations WHERE owner = :agent
                        UNION ALL SELECT c.customer_id FROM conversation_grants g JOIN conversations c ON c.id = g.conversation_id
                            WHERE g.agent_id = :agent
                    ) held CROSS JOIN customers cu ON cu.id = held.customer_id
                    """
                distinct = "DISTINCT"
                if candidates != nil {
                    visible = "AND held.customer_id IN (SELECT rowid FROM customer_trigrams WHERE customer_trigrams MATCH :candidates)"
                }
            }
        }
        if let candidates { arguments["candidates"] = candidates }
        // Ties newest customer first: the order is the same whichever side drove.
        let order = "ORDER BY cu.last_contact_at DESC, cu.id DESC"
        // `LIKE` in the statement, for every customer read: what narrows when the trigrams cannot
        // (fewer than three characters). Every customer read by a supervisor's search then: their
        // addresses are tested in one pass over them (`zz` at 10 M: 0.7–0.9 s against 2.1–2.3
        // looking up each customer's).
        func tested() throws -> [Int64] {
            var tested = arguments
            tested["pattern"] = pattern
            tested["limit"] = limit
            let inAddresses =
                viewer.isSupervisor && candidates == nil
                ? "cu.id IN (SELECT customer_id FROM identities WHERE address LIKE :pattern ESCAPE '\\')"
                : addressHolds(customer: "cu.id", pattern: ":pattern")
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(distinct) cu.id, cu.last_contact_at FROM \(source)
                    WHERE cu.merged_into IS NULL AND (cu.name LIKE :pattern ESCAPE '\\' OR \(inAddresses)) \(visible)
                    \(order) LIMIT :limit
                    """, arguments: StatementArguments(tested)
            ).map { $0["id"] }
        }
        guard candidates != nil else { return try tested() }
        // The candidates all but always hold the fragment (their phrase of trigrams is it, folded
        // more widely than `LIKE` folds), so the newest of them are read first, a window a little
        // larger than the page, and `LIKE` decides in that order. Testing every candidate read an
        // address row for each whose name does not hold it: for a fragment in most addresses
        // (`example`, 249,020 of 1.25 M customers) 930–1,094 ms, the window 390–413. Should the
        // window not fill the page, the whole statement answers.
        let window = limit * 2 + 16
        var windowed = arguments
        windowed["window"] = window
        let newest = try Row.fetchCursor(
            db,
            sql:
                "SELECT \(distinct) cu.id, cu.name, cu.last_contact_at FROM \(source) WHERE cu.merged_into IS NULL \(visible) \(order) LIMIT :window",
            arguments: StatementArguments(windowed))
        let holds = try db.cachedStatement(
            sql: """
                SELECT ?1 LIKE ?2 ESCAPE '\\' OR \(addressHolds(customer: "?3", pattern: "?2"))
                """)
        var page: [Int64] = []
        var read = 0
        while page.count < limit, let row = try newest.next() {
            read += 1
            let id: Int64 = row[0]
            let name: String? = row[1]
            if try Bool.fetchOne(holds, arguments: [name, pattern, id]) == true { page.append(id) }
        }
        return page.count < limit && read == window ? try tested() : page
    }

    /// Whether one of the customer's addresses holds the pattern.
    static func addressHolds(customer: String, pattern: String) -> String {
        "EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = \(customer) AND i.address LIKE \(pattern) ESCAPE '\\')"
    }

    /// Whether checking each candidate costs less than reading everything the agent holds. Both
    /// are counted only as far as the choice needs: the candidates up to `mostCandidatesChecked`,
    /// then what the agent holds up to `heldPerCandidate` times their number.
    static func fewCandidates(_ db: Database, _ candidates: String, agent: String) throws -> Bool {
        let counted =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM (SELECT 1 FROM customer_trigrams WHERE customer_trigrams MATCH ? LIMIT ?)"),
                arguments: [candidates, mostCandidatesChecked + 1]) ?? 0
        guard counted <= mostCandidatesChecked else { return false }
        let bound = counted * heldPerCandidate
        let held =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COUNT(*) FROM (
                            SELECT 1 FROM conversations WHERE assignee = ?1 UNION ALL SELECT 1 FROM conversations WHERE owner = ?1
                            UNION ALL SELECT 1 FROM conversation_grants WHERE agent_id = ?1 LIMIT ?2)
                        """), arguments: [agent, bound + 1]) ?? 0
        return held > bound
    }
}
