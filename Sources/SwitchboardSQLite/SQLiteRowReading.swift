import GRDB
import GRDBSQLite

/// The statement's current step, read by column position where SQLite holds it: what the ingest
/// path's lookups need of GRDB's `Row`, without its cost. A `Row` made from a statement first builds a
/// dictionary of its lowercased column names (to serve `row["name"]`), once per query: for a
/// conversation's 26 columns that was most of reading a snapshot, paid several times a message inside
/// the one writer. Valid only inside the closure it is handed to (while the statement stays on that step).
struct StepColumns {
    fileprivate let sqliteStatement: SQLiteStatement
    /// Where column 0 is: a row read after another in the same step (a join's second table).
    private var offset = 0

    init(sqliteStatement: SQLiteStatement) { self.sqliteStatement = sqliteStatement }

    /// The columns from `index` on, numbered from 0.
    func dropping(_ index: Int) -> StepColumns {
        var rest = self
        rest.offset += index
        return rest
    }

    /// The column's value; an optional type reads NULL as nil. A value of another type, or NULL read as
    /// a non-optional, stops the process, as `Row`'s subscript does: the schema promised otherwise.
    subscript<Value: DatabaseValueConvertible & StatementColumnConvertible>(_ index: Int) -> Value {
        guard let value = Value.fromStatement(sqliteStatement, atUncheckedIndex: CInt(offset + index)) else {
            preconditionFailure("column \(offset + index) does not hold a \(Value.self)")
        }
        return value
    }
}

/// Steps a statement and decodes each row by position (GRDB steps it, so its checks and observers run).
private final class StepCursor<Element>: DatabaseCursor {
    let _statement: Statement
    var _isDone = false
    private let decode: (StepColumns) throws -> Element

    init(_ statement: Statement, arguments: StatementArguments, decode: @escaping (StepColumns) throws -> Element) throws {
        _statement = statement
        self.decode = decode
        try statement.setArguments(arguments)  // resets the statement, then binds
    }

    // A statement left on a row would keep its read open (and hold back checkpoints) until reused.
    deinit { sqlite3_reset(_statement.sqliteStatement) }

    func _element(sqliteStatement: SQLiteStatement) throws -> Element { try decode(StepColumns(sqliteStatement: sqliteStatement)) }
}

extension Statement {
    /// The first row, decoded by position where SQLite holds it.
    func first<T>(_ arguments: StatementArguments = StatementArguments(), _ decode: (StepColumns) throws -> T) throws -> T? {
        try withoutActuallyEscaping(decode) { decode in try StepCursor(self, arguments: arguments, decode: decode).next() }
    }

    /// Every row, decoded by position where SQLite holds it.
    func all<T>(_ arguments: StatementArguments = StatementArguments(), _ decode: (StepColumns) throws -> T) throws -> [T] {
        try withoutActuallyEscaping(decode) { decode in try Array(StepCursor(self, arguments: arguments, decode: decode)) }
    }
}

extension StatementArguments {
    /// Arguments from values already converted. GRDB's initializer for a sequence of values maps them
    /// through a key path, which its generic code builds anew on every call.
    init(databaseValues: [DatabaseValue]) {
        self.init(databaseValues.lazy.map { $0 as (any DatabaseValueConvertible)? })
    }
}
