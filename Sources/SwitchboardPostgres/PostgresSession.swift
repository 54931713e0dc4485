import Foundation
import Logging
import PostgresNIO
import SwitchboardCore

/// The ways the store reads rows, whether its statements go unnamed (``PGSession``) or by name
/// (``PGPreparedSession``): each gives `rows`, the rest follows.
protocol PGRowSource: Sendable {
    associatedtype Query
    func rows(_ query: Query) async throws -> [PGRow]
}

extension PGRowSource {
    func row(_ query: Query) async throws -> PGRow? {
        try await rows(query).first
    }

    /// The first column of the first row, if any (nil also for SQL NULL).
    func value<T: PostgresDecodable>(_ query: Query, as type: T.Type = T.self) async throws -> T? where T._DecodableType == T {
        guard let row = try await row(query) else { return nil }
        return try row.row[0].decode(T?.self)
    }

    /// The first column of every row.
    func values<T: PostgresDecodable>(_ query: Query, as type: T.Type = T.self) async throws -> [T] {
        try await rows(query).map { try $0.row[0].decode(T.self) }
    }

    /// How many rows a statement touched (`UPDATE … RETURNING 1` counted).
    func count(_ query: Query) async throws -> Int {
        try await rows(query).count
    }
}

/// One leased connection (inside a transaction for writes), with the few ways the store uses it.
struct PGSession: PGRowSource {
    let connection: PostgresConnection
    let logger: Logger
    /// Whether ``prepared`` sends its statements by name (`storage.prepared_statements`).
    var namesStatements = false

    /// The hot statements' way: by name, parsed and planned once per connection (see ``PGQuery``).
    var prepared: PGPreparedSession { PGPreparedSession(session: self, named: namesStatements) }

    func rows(_ query: PostgresQuery) async throws -> [PGRow] {
        var rows: [PGRow] = []
        for try await row in try await connection.query(query, logger: logger) {
            rows.append(PGRow(row: row.makeRandomAccess()))
        }
        return rows
    }

    func execute(_ query: PostgresQuery) async throws {
        for try await _ in try await connection.query(query, logger: logger) {}
    }
}

/// A row read by column name.
struct PGRow: Sendable {
    let row: PostgresRandomAccessRow

    subscript<T: PostgresDecodable>(_ column: String) -> T {
        get throws { try row[column].decode(T.self) }
    }

    func date(_ column: String) throws -> Date? {
        try row[column].decode(Double?.self).map(Date.init(epoch:))
    }

    /// An integer flag column (0/1) as a Bool.
    func flag(_ column: String) throws -> Bool {
        (try row[column].decode(Int?.self) ?? 0) != 0
    }
}

extension Date {
    var epoch: Double { timeIntervalSince1970 }
    init(epoch: Double) { self.init(timeIntervalSince1970: epoch) }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Dictionary {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}

extension Bool {
    var int: Int { self ? 1 : 0 }
}
