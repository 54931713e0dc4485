import GRDB

/// The trigram index of customer search (migration 028): each customer's name and addresses, in an
/// FTS5 table with the `trigram` tokenizer (rowid = customer id), kept by triggers on customers and
/// identities (written when a customer or an address is added or changed, never per message). Inside
/// an ingest group the insert triggers stand aside like the search index's (``SQLiteSearchDeferral``):
/// the group's new customers are indexed once, at its end (`deferredRefresh`).
///
/// It narrows, it does not decide: a phrase of the needle's trigrams finds every customer whose name
/// or an address contains the needle (case folded more widely than `LIKE` folds it, so never fewer),
/// and the search still applies its own `LIKE` to those. Derived data
/// (`DataTransfer.derivedTables`): export leaves it out and an import rebuilds it.
enum SQLiteCustomerTrigrams {
    /// The statements that rebuild the entry of the customer(s) `ids` selects.
    static func refreshStatements(_ ids: String) -> [String] {
        [
            "DELETE FROM customer_trigrams WHERE rowid IN (\(ids))",
            """
            INSERT INTO customer_trigrams (rowid, name, addresses)
                SELECT cu.id, coalesce(cu.name, ''),
                    coalesce((SELECT group_concat(i.address, ' ') FROM identities i WHERE i.customer_id = cu.id), '')
                FROM customers cu WHERE cu.id IN (\(ids))
            """,
        ]
    }

    static func refresh(_ ids: String) -> String {
        refreshStatements(ids).map { $0 + ";" }.joined(separator: "\n")
    }

    /// At the end of an ingest group: the entries of customers with an address added since
    /// identity `lastIdentity` (every new customer has one).
    static func deferredRefresh(_ db: Database, lastIdentity: Int64) throws {
        for statement in refreshStatements("SELECT customer_id FROM identities WHERE id > ?") {
            try db.cachedStatement(sql: statement).execute(arguments: [lastIdentity])
        }
    }

    static let schema = """
        CREATE VIRTUAL TABLE customer_trigrams USING fts5(name, addresses, tokenize = 'trigram');
        CREATE TRIGGER customer_trigrams_added AFTER INSERT ON customers WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
            INSERT INTO customer_trigrams (rowid, name, addresses) VALUES (new.id, coalesce(new.name, ''), '');
        END;
        CREATE TRIGGER customer_trigrams_renamed AFTER UPDATE OF name ON customers BEGIN
            \(refresh("new.id"))
        END;
        CREATE TRIGGER customer_trigrams_removed AFTER DELETE ON customers BEGIN
            DELETE FROM customer_trigrams WHERE rowid = old.id;
        END;
        CREATE TRIGGER customer_trigrams_identity_added AFTER INSERT ON identities WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
            \(refresh("new.customer_id"))
        END;
        CREATE TRIGGER customer_trigrams_identity_changed AFTER UPDATE OF customer_id, address ON identities BEGIN
            \(refresh("old.customer_id, new.customer_id"))
        END;
        CREATE TRIGGER customer_trigrams_identity_removed AFTER DELETE ON identities BEGIN
            \(refresh("old.customer_id"))
        END;
        INSERT INTO customer_trigrams (rowid, name, addresses)
            SELECT cu.id, coalesce(cu.name, ''),
                coalesce((SELECT group_concat(i.address, ' ') FROM identities i WHERE i.customer_id = cu.id), '')
            FROM customers cu;
        """

    /// The FTS5 query for customers that may contain `needle`, or nil when the index cannot
    /// narrow it (fewer than three characters: a trigram index knows nothing shorter).
    static func candidates(_ needle: String) -> String? {
        guard needle.count >= 3 else { return nil }
        return "\"" + needle.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
