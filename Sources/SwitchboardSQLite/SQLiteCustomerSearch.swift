import GRDB
import SwitchboardCore

/// Customer search on SQLite: a fragment of a name or an address, anywhere in it, newest contact
/// first. The trigram index (``SQLiteCustomerTrigrams``) names the customers that may hold the
/// fragment; `LIKE` decides. Which side drives the read is chosen per search, because the two
/// costs differ by orders of magnitude at 10 M messages (1.25 M customers, `García` in 22,733):
///
/// - A supervisor sees everyone: the candidates' customer rows are read and sorted, and only the
///   page is joined to its conversation (joining every candidate first read 22,733 conversation
///   rows: 220 ms of 270 on a slow hour; without, 46–59 ms).
/// - An agent sees what they hold (owner, assignee) or were granted. Checking each candidate reads
///   its conversation row; reading what they hold walks the covering indexes of migration 034 (the
///   holder, status and customer of each conversation) and reads only the customer rows that are
///   also candidates. The first costs about as much per candidate as the second per twenty held
///   conversations (a20, 20,000 held, `García`: 52–60 ms against 234–313), so the candidates
///   drive only when they are fewer than a twentieth of what the agent holds.
enum SQLiteCustomerSearch {
    /// Held conversations read (from a covering index, into a set) for the price of one candidate
    /// whose conversation row is read to check the agent may see it. Measured, see above.
    static let heldPerCandidate = 20

    struct Needle {
        /// What `LIKE` compares: the text lowercased, or a phone number's digits.
        let plain: String
        /// `%plain%`, with `LIKE`'s own characters escaped.
        let pattern: String

        init(_ text: String) {
            let digits = text.filter { $0.isASCII && $0.isNumber }
            // A phone number is compared by its digits, so "+34 600 12" finds "+3460012…".
            let phoneLike = digits.count >= 4 && text.allSatisfy { $0.isNumber || " +-().".contains($0) }
            plain = phoneLike ? digits : text.lowercased()
            pattern =
                "%"
                + plain.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
        }
    }

    /// The page: ids of matching customers the viewer may see, newest contact first (ties: the
    /// newer customer first, as the order is the same whichever side drove).
    static func page(_ db: Database, _ text: String, viewer: Viewer, limit: Int) throws -> [Int64] {
        let needle = Needle(text)
        let candidates = SQLiteCustomerTrigrams.candidates(needle.plain)
        let matches = """
            cu.merged_into IS NULL AND (cu.name LIKE :pattern ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = cu.id AND i.address LIKE :pattern ESCAPE '\\'))
            """
        var arguments: [String: (any DatabaseValueConvertible)?] = ["pattern": needle.pattern, "limit": limit]
        let fromCandidates = """
            (SELECT rowid AS id FROM customer_trigrams WHERE customer_trigrams MATCH :candidates) t CROSS JOIN customers cu ON cu.id = t.id
            """
        let source: String
        var visible = ""
        if viewer.isSupervisor {
            source = candidates == nil ? "customers cu" : fromCandidates
        } else {
            arguments["agent"] = viewer.agentID
            if let candidates, try fewCandidates(db, candidates, agent: viewer.agentID) {
                source = fromCandidates
                visible = """
                    AND EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = cu.id AND (c.owner = :agent OR c.assignee = :agent
                        OR EXISTS (SELECT 1 FROM conversation_grants g WHERE g.conversation_id = c.id AND g.agent_id = :agent)))
                    """
            } else {
                // `held` is a set (UNION): owner and assignee are mostly the same agent.
                source = """
                    (SELECT customer_id FROM conversations WHERE assignee = :agent
                        UNION SELECT customer_id FROM conversations WHERE owner = :agent
                        UNION SELECT c.customer_id FROM conversation_grants g JOIN conversations c ON c.id = g.conversation_id WHERE g.agent_id = :agent
                    ) held CROSS JOIN customers cu ON cu.id = held.customer_id
                    """
                if candidates != nil {
                    visible = "AND held.customer_id IN (SELECT rowid FROM customer_trigrams WHERE customer_trigrams MATCH :candidates)"
                }
            }
        }
        if let candidates { arguments["candidates"] = candidates }
        return try Int64.fetchAll(
            db,
            sql: """
                SELECT cu.id FROM \(source) WHERE \(matches) \(visible)
                ORDER BY cu.last_contact_at DESC, cu.id DESC LIMIT :limit
                """, arguments: StatementArguments(arguments))
    }

    /// Whether checking each candidate costs less than reading everything the agent holds: the
    /// candidates are counted only up to that bound, and what the agent holds from the covering
    /// indexes' entries.
    static func fewCandidates(_ db: Database, _ candidates: String, agent: String) throws -> Bool {
        let held =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT (SELECT COUNT(*) FROM conversations WHERE assignee = ?1) + (SELECT COUNT(*) FROM conversations WHERE owner = ?1)
                            + (SELECT COUNT(*) FROM conversation_grants WHERE agent_id = ?1)
                        """), arguments: [agent]) ?? 0
        let bound = held / heldPerCandidate
        guard bound > 0 else { return false }
        let counted =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: "SELECT COUNT(*) FROM (SELECT 1 FROM customer_trigrams WHERE customer_trigrams MATCH ? LIMIT ?)"),
                arguments: [candidates, bound]) ?? 0
        return counted < bound
    }
}
