import Foundation
import NIOCore
import PostgresNIO
import SwitchboardCore

/// Migrations, export and import for `switchboard migrate|export|import`. Tables, columns, keys and
/// identity columns come from `information_schema` and `pg_constraint`, so tables added by later
/// migrations travel too.
///
/// Types map onto the dump's kinds explicitly: `smallint`/`integer`/`bigint` and `boolean` (0/1)
/// are integers; `real`/`double precision`/`numeric` and timestamps/dates (epoch seconds) are reals;
/// `bytea` is a blob; everything else (`text`, `varchar`, `json`, `uuid`…) travels as its text
/// form and is cast back on insert. The schema keeps timestamps as epoch `double precision` and
/// flags as `integer`, exactly what SQLite keeps, so a round trip gives the same bytes.
extension PostgresStore: TransferStore {
    public var engine: String { "postgres" }

    public func migrate() async throws -> MigrationReport {
        try await write { db in
            try await db.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
            let exists = try await db.value("SELECT to_regclass('schema_migrations') IS NOT NULL", as: Bool.self) ?? false
            let before = exists ? Set(try await db.values("SELECT version FROM schema_migrations", as: String.self)) : []
            try await PostgresSchema.migrate(db)
            let known = PostgresSchema.migrations.map(\.version)
            return MigrationReport(
                applied: known.filter { !before.contains($0) }, alreadyApplied: known.filter { before.contains($0) },
                unknown: before.subtracting(known).sorted())
        }
    }

    public func transferTables() async throws -> [TransferTable] {
        try await read { db in try await Self.catalog(db).tables }
    }

    public func exportRows(of tables: [TransferTable], to sink: any TransferRowSink) async throws {
        try await checkHealth()  // fails within seconds when the server is down, before waiting on the pool
        do {
            try await client.withConnection { connection in
                let db = PGSession(connection: connection, logger: self.logger)
                // One snapshot for every table, while gateways keep writing.
                try await db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                do {
                    try await Self.readAll(db, tables, try await Self.catalog(db), into: sink)
                    try await db.execute("COMMIT")
                } catch {
                    try? await db.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw Self.transferError(error)
        }
    }

    public func importRows(
        into tables: [TransferTable], replacing: Set<String>, from source: any TransferRowSource, verifier: any TransferRowSink
    ) async throws {
        try await checkHealth()
        do {
            try await client.withConnection { connection in
                let db = PGSession(connection: connection, logger: self.logger)
                try await db.execute("BEGIN")
                do {
                    // A gateway starting meanwhile waits for this import, as it would for a migration.
                    try await db.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
                    let catalog = try await Self.catalog(db)
                    var held: [String: Int] = [:]
                    for table in catalog.tables where !replacing.contains(table.name) {
                        let count = try await db.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name.pgQuoted)"), as: Int.self) ?? 0
                        if count > 0 { held[table.name] = count }
                    }
                    guard held.isEmpty else { throw TransferError.targetNotEmpty(held) }
                    for table in tables.reversed() where replacing.contains(table.name) {
                        try await db.execute(PostgresQuery(unsafeSQL: "DELETE FROM \(table.name.pgQuoted)"))
                    }
                    // At most ~30,000 parameters a statement (the protocol allows 65,535).
                    let widest = max(1, tables.map(\.columns.count).max() ?? 1)
                    while let batch = try source.nextBatch(limit: max(1, min(1000, 30_000 / widest))) {
                        try await Self.insert(db, tables[batch.table], batch.rows, catalog)
                    }
                    try await Self.resetSequences(db, tables, catalog)
                    try await Self.readAll(db, tables, catalog, into: verifier)
                    try await db.execute("COMMIT")
                } catch {
                    try? await db.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw Self.transferError(error)
        }
    }

    /// Every table's row count and rows, in order, into `sink` (an export file, or the import's check).
    nonisolated(nonsending) static func readAll(
        _ db: PGSession, _ tables: [TransferTable], _ catalog: Catalog, into sink: any TransferRowSink
    ) async throws {
        for (index, table) in tables.enumerated() {
            let count = try await db.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name.pgQuoted)"), as: Int.self) ?? 0
            try sink.beginTable(index, rows: count)
            try await readRows(db, table, catalog, into: sink)
        }
        try sink.finish()
    }

    // MARK: - Catalog

    /// What the database says about its tables: the transfer view plus each column's SQL type.
    struct Catalog {
        var tables: [TransferTable] = []
        /// table → column → (data_type, udt_name)
        var types: [String: [String: (dataType: String, udt: String)]] = [:]
        /// table → identity or serial columns
        var sequenced: [String: [String]] = [:]

        func type(_ table: String, _ column: String) -> (dataType: String, udt: String) {
            types[table]?[column] ?? ("text", "text")
        }
    }

    static func catalog(_ db: PGSession) async throws -> Catalog {
        var catalog = Catalog()
        let derived = DataTransfer.derivedTablePrefix
        let names = try await db.values(
            """
            SELECT table_name::text FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                AND table_name NOT IN ('schema_migrations', 'ingest_flushes')  -- this server's bookkeeping, not data
                AND NOT starts_with(table_name::text, \(derived))
            ORDER BY table_name
            """, as: String.self)
        var columns: [String: [TransferColumn]] = [:]
        for row in try await db.rows(
            """
            SELECT table_name::text, column_name::text, data_type::text, udt_name::text,
                   (is_identity = 'YES' OR coalesce(column_default, '') LIKE 'nextval(%') AS sequenced
            FROM information_schema.columns WHERE table_schema = current_schema()
            ORDER BY table_name, ordinal_position
            """)
        {
            let table: String = try row["table_name"]
            let column: String = try row["column_name"]
            let dataType: String = try row["data_type"]
            columns[table, default: []].append(TransferColumn(name: column, type: kind(dataType)))
            catalog.types[table, default: [:]][column] = (dataType, try row["udt_name"])
            if try row["sequenced"] as Bool { catalog.sequenced[table, default: []].append(column) }
        }
        var keys: [String: [String]] = [:]
        for row in try await db.rows(
            """
            SELECT k.table_name::text, k.column_name::text
            FROM information_schema.table_constraints c
            JOIN information_schema.key_column_usage k
              ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name
            WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema()
            ORDER BY k.table_name, k.ordinal_position
            """)
        {
            keys[try row["table_name"], default: []].append(try row["column_name"])
        }
        var references: [String: Set<String>] = [:]
        for row in try await db.rows(
            """
            SELECT t.relname::text AS child, r.relname::text AS parent
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
            WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
            """)
        {
            references[try row["child"], default: []].insert(try row["parent"])
        }
        catalog.tables = names.filter { !DataTransfer.derivedTables.contains($0) }.map { name in
            TransferTable(name: name, columns: columns[name] ?? [], orderBy: keys[name] ?? [], references: references[name] ?? [])
        }
        return catalog
    }

    static func kind(_ dataType: String) -> TransferKind {
        switch dataType {
        case "smallint", "integer", "bigint", "boolean": return .integer
        case "real", "double precision", "numeric", "date": return .real
        case _ where dataType.hasPrefix("timestamp"): return .real
        case "bytea": return .blob
        default: return .text
        }
    }

    // MARK: - Rows

    /// The column as the dump's kind: the explicit conversions of the type comment above.
    static func selectExpression(_ column: String, _ type: (dataType: String, udt: String)) -> String {
        let name = column.pgQuoted
        switch type.dataType {
        case "boolean": return "\(name)::int::bigint"
        case "smallint", "integer", "bigint": return "\(name)::bigint"
        case "real", "double precision", "numeric": return "\(name)::double precision"
        case "date": return "extract(epoch from \(name)::timestamp at time zone 'UTC')::double precision"
        case _ where type.dataType.hasPrefix("timestamp with"): return "extract(epoch from \(name))::double precision"
        case _ where type.dataType.hasPrefix("timestamp"): return "extract(epoch from \(name) at time zone 'UTC')::double precision"
        case "bytea": return name
        default: return "\(name)::text"
        }
    }

    /// Parameter `$n` cast to the column's type.
    static func insertExpression(_ n: Int, _ type: (dataType: String, udt: String)) -> String {
        switch type.dataType {
        case "boolean": return "($\(n)::bigint <> 0)"
        case "date": return "(to_timestamp($\(n)::double precision) at time zone 'UTC')::date"
        case _ where type.dataType.hasPrefix("timestamp with"): return "to_timestamp($\(n)::double precision)"
        case _ where type.dataType.hasPrefix("timestamp"): return "(to_timestamp($\(n)::double precision) at time zone 'UTC')"
        case "ARRAY", "USER-DEFINED": return "$\(n)::\(type.udt.pgQuoted)"
        default: return "$\(n)::\(type.dataType)"
        }
    }

    /// Ordered as SQLite orders (text in byte order: `COLLATE "C"`), so both give one checksum.
    nonisolated(nonsending) static func readRows(
        _ db: PGSession, _ table: TransferTable, _ catalog: Catalog, into sink: any TransferRowSink
    ) async throws {
        let select = table.columns.map { selectExpression($0.name, catalog.type(table.name, $0.name)) }.joined(separator: ", ")
        let order = table.orderBy.map { column -> String in
            switch kind(catalog.type(table.name, column).dataType) {
            case .text: return "\(column.pgQuoted)::text COLLATE \"C\""
            default: return column.pgQuoted
            }
        }.joined(separator: ", ")
        let kinds = table.columns.map { kind(catalog.type(table.name, $0.name).dataType) }
        let query = PostgresQuery(unsafeSQL: "SELECT \(select) FROM \(table.name.pgQuoted) ORDER BY \(order)")
        for try await row in try await db.connection.query(query, logger: db.logger) {
            var values: [TransferValue] = []
            values.reserveCapacity(kinds.count)
            for (cell, kind) in zip(row, kinds) {
                switch kind {
                case .integer: values.append(try cell.decode(Int64?.self).map(TransferValue.integer) ?? .null)
                case .real: values.append(try cell.decode(Double?.self).map(TransferValue.real) ?? .null)
                case .text: values.append(try cell.decode(String?.self).map(TransferValue.text) ?? .null)
                case .blob: values.append(try cell.decode(ByteBuffer?.self).map { .blob(Data($0.readableBytesView)) } ?? .null)
                }
            }
            try sink.row(values)
        }
    }

    static func insert(_ db: PGSession, _ table: TransferTable, _ rows: [[TransferValue]], _ catalog: Catalog) async throws {
        guard !rows.isEmpty else { return }
        let columns = table.columns.map(\.name.pgQuoted).joined(separator: ", ")
        let types = table.columns.map { catalog.type(table.name, $0.name) }
        var binds = PostgresBindings(capacity: rows.count * types.count)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        var n = 0
        for row in rows {
            var expressions: [String] = []
            for (value, type) in zip(row, types) {
                n += 1
                expressions.append(insertExpression(n, type))
                switch value {
                case .null: binds.appendNull()
                case .integer(let v): binds.append(v)
                case .real(let v): binds.append(v)
                case .text(let v): binds.append(v)
                case .blob(let v): try binds.append(v)
                }
            }
            tuples.append("(" + expressions.joined(separator: ", ") + ")")
        }
        try await db.execute(
            PostgresQuery(
                unsafeSQL: "INSERT INTO \(table.name.pgQuoted) (\(columns)) VALUES \(tuples.joined(separator: ", "))", binds: binds))
    }

    /// Identity and serial columns continue after the largest imported id, so new rows never collide.
    static func resetSequences(_ db: PGSession, _ tables: [TransferTable], _ catalog: Catalog) async throws {
        for table in tables {
            for column in catalog.sequenced[table.name] ?? [] {
                try await db.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table.name.pgQuoted.replacingOccurrences(of: "'", with: "''"))', \
                            '\(column.replacingOccurrences(of: "'", with: "''"))'), \
                            coalesce((SELECT max(\(column.pgQuoted)) FROM \(table.name.pgQuoted)), 0) + 1, false)
                            """))
            }
        }
    }

    /// Unreachable stays 503 (`storage_unavailable`); a server's refusal keeps its own words
    /// (PSQLError's description hides them).
    static func transferError(_ error: any Error) -> any Error {
        let error = mapped(error)
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
            let detail = psql.serverInfo?[.detail].map { " (\($0))" } ?? ""
            return StoreError.failed("PostgreSQL: \(message)\(detail)")
        }
        return error
    }
}

extension String {
    /// A quoted SQL identifier.
    var pgQuoted: String { "\"" + replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
