import GRDB

extension Statement {
    /// The first row, decoded where SQLite holds it. `Row.fetchOne` copies every column of the row
    /// first, which the ingest path paid for each of its lookups (a conversation's state is 26 columns).
    func first<T>(_ arguments: StatementArguments = StatementArguments(), _ decode: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        guard let row = try cursor.next() else { return nil }
        // The row reads the statement's current step: the cursor (which resets it when it goes) must outlive the decoding.
        return try withExtendedLifetime(cursor) { try decode(row) }
    }
}
