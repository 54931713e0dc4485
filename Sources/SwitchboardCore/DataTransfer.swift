import Foundation

/// What a column holds in a dump. Each store maps its own types onto these four (PostgreSQL
/// `boolean` reads as an integer 0/1, `timestamptz` as epoch seconds, `json`/`uuid`/… as text) and
/// back, so a dump moves between engines without the core knowing either.
public enum TransferKind: String, Codable, Sendable {
    case integer, real, text, blob
}

/// One value of one row, as the dump carries it.
public enum TransferValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A column: its name and the kind of value it holds.
public struct TransferColumn: Codable, Sendable, Equatable {
    public var name: String
    public var type: TransferKind

    public init(name: String, type: TransferKind) {
        self.name = name
        self.type = type
    }
}

/// A table as a store describes it, read from the database itself (never a list in code), so a
/// table added by a later migration travels without anyone editing the transfer.
public struct TransferTable: Sendable, Equatable {
    public var name: String
    public var columns: [TransferColumn]
    /// The columns rows are ordered by (the primary key; every column when there is none), so
    /// both engines produce the same sequence and therefore the same checksum.
    public var orderBy: [String]
    /// Tables this one refers to by foreign key: they are loaded first.
    public var references: Set<String>

    public init(name: String, columns: [TransferColumn], orderBy: [String], references: Set<String> = []) {
        self.name = name
        self.columns = columns
        self.orderBy = orderBy.isEmpty ? columns.map(\.name) : orderBy
        self.references = references
    }

    /// `tables` with every table after those it refers to; ties (and cycles) broken by name, so
    /// two engines with the same foreign keys give the same order.
    public static func dependencyOrdered(_ tables: [TransferTable]) -> [TransferTable] {
        var pending = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        var ordered: [TransferTable] = []
        while !pending.isEmpty {
            let ready = pending.values.filter { $0.references.subtracting([$0.name]).allSatisfy { pending[$0] == nil } }
            let next = ready.min { $0.name < $1.name } ?? pending.values.min { $0.name < $1.name }!
            ordered.append(next)
            pending[next.name] = nil
        }
        return ordered
    }
}

/// What `migrate` did.
public struct MigrationReport: Sendable, Equatable {
    /// Applied by this call, in order.
    public var applied: [String]
    /// Already there before this call.
    public var alreadyApplied: [String]
    /// Recorded in the database but unknown to this build (a newer build migrated it).
    public var unknown: [String]

    public init(applied: [String], alreadyApplied: [String], unknown: [String]) {
        self.applied = applied
        self.alreadyApplied = alreadyApplied
        self.unknown = unknown
    }
}

/// Receives a table's rows: ``TransferRowSink/beginTable(_:rows:)`` once per table in the order
/// given (also for an empty one), then its rows; ``TransferRowSink/finish()`` after the last.
public protocol TransferRowSink: AnyObject {
    func beginTable(_ index: Int, rows: Int) throws
    func row(_ values: [TransferValue]) throws
    func finish() throws
}

/// Rows to load, one table after another.
public protocol TransferRowSource: AnyObject {
    /// Up to `limit` rows of one table (an index into the tables being loaded); nil at the end.
    func nextBatch(limit: Int) throws -> (table: Int, rows: [[TransferValue]])?
}

/// The store side of `switchboard migrate`, `export` and `import`: the engine-specific reading and
/// writing; the dump format, checksums and checks live in the core (``DataTransfer``).
public protocol TransferStore: Sendable {
    /// `sqlite` or `postgres`, for the dump's header.
    var engine: String { get }
    /// Applies the schema migrations this build knows and the database lacks.
    func migrate() async throws -> MigrationReport
    /// The migrations recorded in the database, oldest first.
    func appliedMigrations() async throws -> [String]
    /// Every table the application keeps (not the migration bookkeeping), with its columns.
    func transferTables() async throws -> [TransferTable]
    /// Every row of `tables`, in their order, from one consistent snapshot, each table ordered by
    /// its `orderBy` columns (text in byte order).
    func exportRows(of tables: [TransferTable], to sink: any TransferRowSink) async throws
    /// In one transaction: refuses (``TransferError/targetNotEmpty(_:)``) if any table except
    /// `replacing` holds rows, empties `replacing`, inserts the source's rows into `tables`
    /// (columns as named there, values already of this store's kinds), moves identity sequences
    /// past the largest id, then reads `tables` back into `verifier` the way ``exportRows`` would;
    /// commits only if nothing threw, `verifier.finish()` included.
    func importRows(
        into tables: [TransferTable], replacing: Set<String>, from source: any TransferRowSource, verifier: any TransferRowSink
    ) async throws
}

/// Why a transfer stopped.
public enum TransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a dump this build reads.
    case notADump(String)
    /// A row or marker of the dump is malformed, or a table's rows do not match its header.
    case invalidDump(table: String?, line: Int, reason: String)
    /// What the target holds after loading differs from the dump's header.
    case verificationFailed(table: String, reason: String)
    /// The target's schema lacks a table or column the dump carries.
    case schemaMismatch(String)
    /// The target already holds data (table and row count).
    case targetNotEmpty([String: Int])
    /// A value cannot be represented in the column's kind.
    case unconvertible(table: String, column: String, value: String)
    /// The dump file cannot be read.
    case cannotRead(path: String, reason: String)
    /// The dump file cannot be written.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .notADump(let reason): return "not a Switchboard dump: \(reason)"
        case .invalidDump(let table, let line, let reason):
            return "invalid dump at line \(line)\(table.map { " (table \($0))" } ?? ""): \(reason)"
        case .verificationFailed(let table, let reason): return "verification failed for table \(table): \(reason)"
        case .schemaMismatch(let reason): return "the target's schema does not fit the dump: \(reason)"
        case .targetNotEmpty(let counts):
            let list = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) rows" }.joined(separator: ", ")
            return "the target database already holds data (\(list)); import only into a fresh database"
        case .unconvertible(let table, let column, let value):
            return "table \(table), column \(column): \(value) cannot be stored as this column's type"
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
