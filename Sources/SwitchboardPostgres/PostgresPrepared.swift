import Logging
import PostgresNIO

/// A statement for ``PGSession/prepared``: SQL whose text is the same at every call of its call site
/// (only bound values vary), with each parameter's type, so PostgreSQL can parse and plan it once per
/// connection. Written like a `PostgresQuery` (`"… WHERE id = \(id)"`); a value that changes the
/// text (`\(unescaped:)`) must take one of a few fixed forms, never data.
struct PGQuery: Sendable, ExpressibleByStringInterpolation {
    private(set) var sql: String
    private(set) var binds: PostgresBindings
    /// The declared type of each parameter (a NULL keeps its Swift type's), fixed per call site:
    /// a statement is prepared with the types of its first call.
    private(set) var types: [PostgresDataType]

    init(unsafeSQL sql: String) {
        self.sql = sql
        binds = PostgresBindings()
        types = []
    }

    init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    init(stringInterpolation: StringInterpolation) {
        self = stringInterpolation.query
    }

    /// Binds `value` as the next parameter and returns its placeholder (`$n`).
    @discardableResult
    mutating func bind<Value: PostgresNonThrowingEncodable>(_ value: Value?) -> String {
        if let value { binds.append(value) } else { binds.appendNull() }
        types.append(Value.psqlType)
        return "$\(binds.count)"
    }

    mutating func append(sql text: String) {
        sql += text
    }

    /// The same statement for the unnamed path (as every other query is sent).
    var unnamed: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    struct StringInterpolation: StringInterpolationProtocol {
        var query = PGQuery(unsafeSQL: "")

        init(literalCapacity: Int, interpolationCount: Int) {
            query.sql.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            query.sql += literal
        }

        mutating func appendInterpolation<Value: PostgresNonThrowingEncodable>(_ value: Value) {
            query.sql += query.bind(value)
        }

        mutating func appendInterpolation<Value: PostgresNonThrowingEncodable>(_ value: Value?) {
            query.sql += query.bind(value)
        }

        mutating func appendInterpolation(unescaped text: String) {
            query.sql += text
        }
    }

    /// The server-side name: a hash of the text and the parameter types, so two call sites share a
    /// statement only when they send the same thing.
    var statementName: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in sql.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        for type in types {
            hash = (hash ^ UInt64(type.rawValue)) &* 0x100_0000_01b3
        }
        return "sb_" + String(hash, radix: 16)
    }
}

/// The one `PostgresPreparedStatement` every ``PGQuery`` is sent as. postgres-nio names a prepared
/// statement by its type (`static name`, `static sql`) and keeps, per connection, which names that
/// connection has prepared (preparing on first use, then sending only Bind/Execute). A type per
/// statement would be a hand-written struct per query; instead the name, text and types of the call
/// in progress are task-local, and `execute` reads them in the calling task before it sends anything
/// (postgres-nio 1.33: `PostgresConnection.execute(_:logger:)` builds its request from them
/// synchronously). Read anywhere else they name a statement that fails loudly, never an empty one.
struct PGNamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
        var types: [PostgresDataType]
    }

    @TaskLocal static var current = Text(
        name: "sb_unset", sql: "SELECT switchboard_prepared_statement_text_read_outside_its_call()", types: [])

    static var name: String { current.name }
    static var sql: String { current.sql }
    static var bindingDataTypes: [PostgresDataType] { current.types }

    typealias Row = PostgresRow

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// ``PGSession``'s statements sent by name (`storage.prepared_statements`), or unnamed like every
/// other query when that is off.
struct PGPreparedSession: PGRowSource {
    let session: PGSession
    let named: Bool

    func rows(_ query: PGQuery) async throws -> [PGRow] {
        guard named else { return try await session.rows(query.unnamed) }
        let text = PGNamedStatement.Text(name: query.statementName, sql: query.sql, types: query.types)
        let connection = session.connection
        let logger = session.logger
        do {
            return try await PGNamedStatement.$current.withValue(text) {
                var rows: [PGRow] = []
                for try await row in try await connection.execute(PGNamedStatement(bindings: query.binds), logger: logger) {
                    rows.append(PGRow(row: row.makeRandomAccess()))
                }
                return rows
            }
        } catch {
            if let state = PostgresStore.sqlState(error), Self.poisoningStates.contains(state) {
                // postgres-nio remembers a failed preparation for the connection's life, and a plan
                // whose result changed, or a statement a pooler dropped, fails every time: this
                // connection goes, the pool opens a fresh one.
                logger.notice("closing a PostgreSQL connection after \(state) on a prepared statement")
                try? await connection.close()
            }
            throw error
        }
    }

    /// Failures that may stick to a prepared statement on this connection: invalid_sql_statement_name
    /// (a transaction-mode pooler < 1.21 sent it to another server connection), feature_not_supported
    /// (a cached plan whose result type changed under a migration), in_failed_sql_transaction and
    /// query_canceled (the preparation itself refused).
    static let poisoningStates: Set<String> = ["26000", "0A000", "25P02", "57014"]

    func execute(_ query: PGQuery) async throws {
        _ = try await rows(query)
    }
}

/// One of several writes joined into a single statement (``PGQuery/joined(_:_:)``): it appends its SQL,
/// between `prefix` and `suffix`, to the query so far, its parameters numbered after that query's.
typealias PGWrite = (_ query: PGQuery, _ prefix: String, _ suffix: String) -> PGQuery

extension PGQuery {
    /// `first`, then `rest`, as one statement, one round trip: all but the last in `WITH w0 AS (…),
    /// w1 AS (…)`, which PostgreSQL runs to completion although nothing reads them. They see the
    /// same snapshot (none sees another's rows), and their foreign keys and `AFTER` triggers run at
    /// the statement's end, when every row is there. A lone write is simply itself.
    static func joined(_ first: PGWrite, _ rest: [PGWrite] = []) -> PGQuery {
        var query = PGQuery(unsafeSQL: "")
        var pending = first
        for (index, next) in rest.enumerated() {
            query = pending(query, index == 0 ? "WITH w0 AS (" : ", w\(index) AS (", ")")
            pending = next
        }
        return pending(query, rest.isEmpty ? "" : " ", "")
    }
}

/// The rows of a multi-row write as one array per column, read back with `unnest`: the statement's
/// text no longer depends on how many rows it writes (a `VALUES` list does), so it is prepared once.
/// postgres-nio writes no NULL inside an array, so a nullable column carries a placeholder and a bit
/// in its row's mask (the last array), and `CASE` turns it back into NULL.
struct PGRowArrays {
    private var query = PGQuery(unsafeSQL: "")
    private var arrays: [String] = []
    private var names: [String] = []
    private var selects: [String] = []
    private var masks: [Int64]
    private var nullable = 0

    /// `continuing`: the statement goes on after that query (a `WITH` of several writes), its
    /// parameters numbered after those the query has bound.
    init(rows: Int, continuing query: PGQuery = PGQuery(unsafeSQL: "")) {
        self.query = query
        masks = Array(repeating: 0, count: rows)
    }

    /// Returns the array's placeholder, for a statement that also needs the whole array (`= ANY(…)`).
    @discardableResult
    mutating func column<T: PostgresArrayEncodable & PostgresNonThrowingEncodable>(_ name: String, _ type: String, _ values: [T]) -> String {
        let placeholder = query.bind(values)
        arrays.append("\(placeholder)::\(type)[]")
        names.append(name)
        selects.append("r.\(name) AS \(name)")
        return placeholder
    }

    mutating func column<T: PostgresArrayEncodable & PostgresNonThrowingEncodable>(
        _ name: String, _ type: String, _ values: [T?], placeholder: T
    ) {
        precondition(nullable < 62, "too many nullable columns for one mask")
        let bit = Int64(1) << nullable
        nullable += 1
        for (index, value) in values.enumerated() where value == nil { masks[index] |= bit }
        arrays.append("\(query.bind(values.map { $0 ?? placeholder }))::\(type)[]")
        names.append(name)
        selects.append("CASE WHEN r.nulls & \(bit) = 0 THEN r.\(name) END AS \(name)")
    }

    /// `prefix` `SELECT <the columns, in order> FROM unnest(…) AS r(…)` `suffix`.
    func statement(_ prefix: String, _ suffix: String = "") -> PGQuery {
        var query = query
        let mask = query.bind(masks)
        query.append(
            sql: prefix + "SELECT " + selects.joined(separator: ", ") + " FROM unnest(" + arrays.joined(separator: ", ")
                + ", \(mask)::bigint[]) AS r(" + names.joined(separator: ", ") + ", nulls)" + suffix)
        return query
    }
}
