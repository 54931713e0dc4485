import Foundation
import GRDB
import SwitchboardCore

/// Migrations, export and import for `switchboard migrate|export|import`. Tables and columns come
/// from `sqlite_master` and `PRAGMA table_info`, so tables added by later migrations travel too.
///
/// Kinds follow SQLite's affinity rules: a declared type containing INT is an integer, CHAR/CLOB/
/// TEXT text, BLOB (or none) a blob, anything else (REAL, DOUBLE, NUMERIC…) a real. The schema
/// keeps timestamps as REAL epoch seconds and flags as INTEGER 0/1, which is what the dump carries.
extension SQLiteStore: TransferStore {
    public var engine: String { "sqlite" }

    public func migrate() async throws -> MigrationReport {
        let migrator = SQLiteSchema.migrator
        let before = try await pool.read { db in try migrator.appliedIdentifiers(db) }
        try migrator.migrate(pool)
        let known = migrator.migrations
        return MigrationReport(
            applied: known.filter { !before.contains($0) }, alreadyApplied: known.filter { before.contains($0) },
            unknown: before.subtracting(known).sorted())
    }

    public func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
    }

    public func transferTables() async throws -> [TransferTable] {
        try await pool.read { db in try Self.transferTables(db) }
    }

    public func exportRows(of tables: [TransferTable], to sink: any TransferRowSink) async throws {
        try exportSnapshot(tables, sink)
    }

    public func importRows(
        into tables: [TransferTable], replacing: Set<String>, from source: any TransferRowSource, verifier: any TransferRowSink
    ) async throws {
        try importTransaction(tables, replacing, source, verifier)
        try await checkpointAll()
    }

    // Synchronous on purpose: GRDB's blocking read/write take closures that need not be Sendable,
    // so the sink and source (plain classes of this one task) are used inside the transaction.

    private func exportSnapshot(_ tables: [TransferTable], _ sink: any TransferRowSink) throws {
        try pool.read { db in
            // One read transaction: every table from the same WAL snapshot, while a gateway writes.
            for (index, table) in tables.enumerated() {
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name.quotedDatabaseIdentifier)") ?? 0
                try sink.beginTable(index, rows: count)
                try Self.readRows(db, table, into: sink)
            }
            try sink.finish()
        }
    }

    private func importTransaction(
        _ tables: [TransferTable], _ replacing: Set<String>, _ source: any TransferRowSource, _ verifier: any TransferRowSink
    ) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                // Rows arrive parent-first, but self- and cross-references are only checked at commit.
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                var held: [String: Int] = [:]
                for table in try Self.transferTables(db) where !replacing.contains(table.name) {
                    let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name.quotedDatabaseIdentifier)") ?? 0
                    if count > 0 { held[table.name] = count }
                }
                guard held.isEmpty else { throw TransferError.targetNotEmpty(held) }
                for table in tables.reversed() where replacing.contains(table.name) {
                    try db.execute(sql: "DELETE FROM \(table.name.quotedDatabaseIdentifier)")
                }
                let statements = try tables.map { table in
                    let columns = table.columns.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
                    let marks = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
                    return try db.makeStatement(sql: "INSERT INTO \(table.name.quotedDatabaseIdentifier) (\(columns)) VALUES (\(marks))")
                }
                while let batch = try source.nextBatch(limit: 1000) {
                    let statement = statements[batch.table]
                    for row in batch.rows {
                        try statement.execute(arguments: StatementArguments(row.map(\.databaseValue)))
                    }
                }
                try Self.resetSequences(db, tables)
                // Whatever the message index file beside this database holds is not of these messages.
                try db.execute(sql: "UPDATE search_index_generation SET value = lower(hex(randomblob(16)))")
                for (index, table) in tables.enumerated() {
                    let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name.quotedDatabaseIdentifier)") ?? 0
                    try verifier.beginTable(index, rows: count)
                    try Self.readRows(db, table, into: verifier)
                }
                try verifier.finish()
                return .commit
            }
        }
    }

    static func readRows(_ db: Database, _ table: TransferTable, into sink: any TransferRowSink) throws {
        let columns = table.columns.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
        // Byte order for text, whatever a column declares, as PostgreSQL's COLLATE "C" gives.
        let order = table.orderBy.map { "\($0.quotedDatabaseIdentifier) COLLATE BINARY" }.joined(separator: ", ")
        let rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM \(table.name.quotedDatabaseIdentifier) ORDER BY \(order)")
        let width = table.columns.count
        while let row = try rows.next() {
            var values: [TransferValue] = []
            values.reserveCapacity(width)
            for i in 0..<width {
                let value: DatabaseValue = row[i]
                values.append(TransferValue(value))
            }
            try sink.row(values)
        }
    }

    /// INTEGER PRIMARY KEY tables take max(id)+1 by themselves; AUTOINCREMENT ones keep their
    /// high-water mark in sqlite_sequence, which must move past the imported ids.
    private static func resetSequences(_ db: Database, _ tables: [TransferTable]) throws {
        guard try db.tableExists("sqlite_sequence") else { return }
        for table in tables {
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table.name]) ?? ""
            guard sql.uppercased().contains("AUTOINCREMENT") else { continue }
            try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = ?", arguments: [table.name])
            try db.execute(
                sql:
                    "INSERT INTO sqlite_sequence (name, seq) SELECT ?, max(rowid) FROM \(table.name.quotedDatabaseIdentifier) HAVING max(rowid) IS NOT NULL",
                arguments: [table.name])
        }
    }

    static func transferTables(_ db: Database) throws -> [TransferTable] {
        let names = try String.fetchAll(
            db,
            sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                    AND substr(name, 1, ?) <> ? ORDER BY name
                """, arguments: [DataTransfer.derivedTablePrefix.count, DataTransfer.derivedTablePrefix]
        ).filter { !DataTransfer.derivedTables.contains($0) }
        return try names.map { name in
            let info = try Row.fetchAll(db, sql: "PRAGMA table_info(\(name.quotedDatabaseIdentifier))")
            let columns = info.map { TransferColumn(name: $0["name"], type: kind(declared: $0["type"] ?? "")) }
            let key = info.filter { ($0["pk"] as Int? ?? 0) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
            let references = try String.fetchSet(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name])
            return TransferTable(name: name, columns: columns, orderBy: key, references: references)
        }
    }

    static func kind(declared: String) -> TransferKind {
        let type = declared.uppercased()
        if type.contains("INT") { return .integer }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") { return .text }
        if type.contains("BLOB") || type.isEmpty { return .blob }
        return .real
    }
}

extension TransferValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let n): self = .integer(n)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .blob(data)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let n): return n.databaseValue
        case .real(let d): return d.databaseValue
        case .text(let s): return s.databaseValue
        case .blob(let data): return data.databaseValue
        }
    }
}
