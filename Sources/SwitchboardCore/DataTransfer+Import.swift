import Foundation

extension DataTransfer {
    /// Tables a gateway fills on every start (the configured agents, its key), so a fresh target
    /// that has already been served once still counts as empty: their rows are replaced by the
    /// dump's (the source's key comes along, so the references customers hold stay valid).
    public static let replaceableTables: Set<String> = ["agents", "gateway_secrets", "audit_log"]

    /// Tables whose names start so are derived from the others (the search index, kept by
    /// triggers): they never travel, and the target rebuilds them as the rows arrive.
    public static let derivedTablePrefix = "search_"

    /// Other tables derived from the others by triggers (the customer card's contact counts, the
    /// customer search's trigram index and the tables FTS5 keeps it in):
    /// like the search index, they never travel and the target rebuilds them.
    public static let derivedTables: Set<String> = [
        "conversation_contacts", "customer_trigrams", "customer_trigrams_config", "customer_trigrams_content", "customer_trigrams_data",
        "customer_trigrams_docsize", "customer_trigrams_idx",
    ]

    /// Reads the header of the dump at `path`.
    public static func header(of path: String) throws -> TransferHeader {
        try readHeader(DumpLineReader(path: path))
    }

    /// Loads the dump at `path` into `store`, all or nothing: the target's migrations are applied,
    /// the rows inserted in one transaction, checked against the header while they are read, read
    /// back from the target and checked again; the transaction commits only if every table's count
    /// and checksum match. Refuses a target that already holds data.
    @discardableResult
    public static func importDump(
        at path: String, into store: any TransferStore, progress: @escaping Progress = { _, _, _, _ in }
    )
        async throws -> TransferHeader
    {
        let reader = try DumpLineReader(path: path)
        let header = try readHeader(reader)
        _ = try await store.migrate()
        let target = Dictionary(try await store.transferTables().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let tables = try header.tables.map { dumped in
            guard let table = target[dumped.name] else {
                throw TransferError.schemaMismatch("the target has no table \(dumped.name) (is it an older build?)")
            }
            return TransferTable(
                name: dumped.name,
                columns: try dumped.columns.map { column in
                    guard let found = table.columns.first(where: { $0.name == column.name }) else {
                        throw TransferError.schemaMismatch("the target's table \(dumped.name) has no column \(column.name) (is it an older build?)")
                    }
                    return found
                },
                orderBy: dumped.orderBy, references: table.references)
        }
        let source = ImportSource(reader: reader, header: header, tables: tables, progress: progress)
        let verifier = VerifySink(header: header, tables: tables, progress: progress)
        try await store.importRows(into: tables, replacing: replaceableTables, from: source, verifier: verifier)
        return header
    }

    static func readHeader(_ reader: DumpLineReader) throws -> TransferHeader {
        guard let line = try reader.next() else { throw TransferError.notADump("the file is empty") }
        guard let header = try? JSONDecoder.dumpHeader.decode(TransferHeader.self, from: Data(line)),
            header.format == TransferHeader.formatName
        else {
            throw TransferError.notADump("the first line is not a switchboard-dump header")
        }
        guard header.version == TransferHeader.currentVersion else {
            throw TransferError.notADump("format version \(header.version); this build reads version \(TransferHeader.currentVersion)")
        }
        return header
    }
}

/// Reads the dump's rows after the header, checking each table's count and checksum against the
/// header as soon as its rows end (so a corrupted dump fails before anything commits).
final class ImportSource: TransferRowSource {
    let reader: DumpLineReader
    let header: TransferHeader
    let tables: [TransferTable]
    let progress: DataTransfer.Progress
    private var current = -1
    private var digest = TableDigest()
    private var ended = false

    init(reader: DumpLineReader, header: TransferHeader, tables: [TransferTable], progress: @escaping DataTransfer.Progress) {
        self.reader = reader
        self.header = header
        self.tables = tables
        self.progress = progress
    }

    func nextBatch(limit: Int) throws -> (table: Int, rows: [[TransferValue]])? {
        var rows: [[TransferValue]] = []
        while !ended {
            guard let line = try reader.next() else {
                throw TransferError.invalidDump(table: nil, line: reader.lineNumber, reason: "the file ends early (no end line): truncated?")
            }
            if line.first == UInt8(ascii: "[") {
                guard current >= 0 else { throw TransferError.invalidDump(table: nil, line: reader.lineNumber, reason: "a row before any table") }
                rows.append(try decode(line))
                if rows.count >= limit { return (current, rows) }
                continue
            }
            // A marker: what was read so far belongs to the table that ends here.
            guard let marker = try? JSONDecoder().decode(DumpMarker.self, from: Data(line)) else {
                throw TransferError.invalidDump(
                    table: current >= 0 ? tables[current].name : nil, line: reader.lineNumber, reason: "not a row or a marker")
            }
            let ending = current
            try endTable()
            try begin(marker)
            // The ending table's last rows go out before anything of the next one.
            if !rows.isEmpty { return (ending, rows) }
        }
        return nil
    }

    private func begin(_ marker: DumpMarker) throws {
        if marker.end == true {
            guard current == tables.count - 1 else {
                throw TransferError.invalidDump(
                    table: nil, line: reader.lineNumber, reason: "the dump ends before table \(tables[current + 1].name)")
            }
            ended = true
            return
        }
        let expected = current + 1
        guard expected < tables.count, marker.table == tables[expected].name else {
            throw TransferError.invalidDump(
                table: marker.table, line: reader.lineNumber,
                reason: expected < tables.count ? "expected table \(tables[expected].name) here" : "a table the header does not list")
        }
        current = expected
        digest = TableDigest()
        progress("import", tables[current].name, 0, header.tables[current].rows)
    }

    private func endTable() throws {
        guard current >= 0 else { return }
        let expected = header.tables[current]
        guard digest.rows == expected.rows else {
            throw TransferError.invalidDump(
                table: expected.name, line: reader.lineNumber, reason: "\(digest.rows) rows where the header says \(expected.rows)")
        }
        guard digest.hex() == expected.sha256 else {
            throw TransferError.invalidDump(
                table: expected.name, line: reader.lineNumber, reason: "the rows' SHA-256 differs from the header's: the dump was altered or damaged")
        }
    }

    private func decode(_ line: ArraySlice<UInt8>) throws -> [TransferValue] {
        let columns = header.tables[current].columns
        let values: [TransferValue]
        do {
            values = try TransferRowCodec.decode(line, columns: columns)
        } catch {
            throw TransferError.invalidDump(table: tables[current].name, line: reader.lineNumber, reason: error.reason)
        }
        digest.add(TransferRowCodec.encode(values))
        progress("import", tables[current].name, digest.rows, header.tables[current].rows)
        let table = tables[current]
        return try values.enumerated().map { i, value in
            guard let converted = value.coerced(to: table.columns[i].type) else {
                throw TransferError.unconvertible(table: table.name, column: table.columns[i].name, value: value.shortDescription)
            }
            return converted
        }
    }
}

/// Checks what the target holds after loading against the header, in the header's kinds.
final class VerifySink: TransferRowSink {
    let header: TransferHeader
    let tables: [TransferTable]
    let progress: DataTransfer.Progress
    private var current = -1
    private var digest = TableDigest()

    init(header: TransferHeader, tables: [TransferTable], progress: @escaping DataTransfer.Progress) {
        self.header = header
        self.tables = tables
        self.progress = progress
    }

    func beginTable(_ index: Int, rows: Int) throws {
        try endTable()
        guard index == current + 1, index < tables.count else { throw TransferError.verificationFailed(table: "?", reason: "tables out of order") }
        current = index
        digest = TableDigest()
        let expected = header.tables[index]
        guard rows == expected.rows else {
            throw TransferError.verificationFailed(table: expected.name, reason: "the target holds \(rows) rows, the dump \(expected.rows)")
        }
        progress("verify", expected.name, 0, rows)
    }

    func row(_ values: [TransferValue]) throws {
        let expected = header.tables[current]
        let canonical = try values.enumerated().map { i, value in
            guard let converted = value.coerced(to: expected.columns[i].type) else {
                throw TransferError.verificationFailed(
                    table: expected.name, reason: "column \(expected.columns[i].name) reads back as \(value.shortDescription)")
            }
            return converted
        }
        digest.add(TransferRowCodec.encode(canonical))
        progress("verify", expected.name, digest.rows, expected.rows)
    }

    func finish() throws {
        try endTable()
        guard current == tables.count - 1 else {
            throw TransferError.verificationFailed(table: tables[current + 1].name, reason: "not read back")
        }
    }

    private func endTable() throws {
        guard current >= 0 else { return }
        let expected = header.tables[current]
        guard digest.rows == expected.rows else {
            throw TransferError.verificationFailed(table: expected.name, reason: "read back \(digest.rows) rows, the dump holds \(expected.rows)")
        }
        guard digest.hex() == expected.sha256 else {
            throw TransferError.verificationFailed(table: expected.name, reason: "the rows read back differ from the dump's (SHA-256)")
        }
    }
}
