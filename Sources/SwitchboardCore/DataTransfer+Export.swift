import Foundation

/// Moves a deployment's data between stores through a dump file (`switchboard export` / `import`).
public enum DataTransfer {
    /// Progress of a long run: phase (`export`, `import`, `verify`), table, rows done, rows in it.
    public typealias Progress = (_ phase: String, _ table: String, _ done: Int, _ total: Int) -> Void

    /// Writes every table of `store` to `path` (atomically: a file that exists is complete) and
    /// returns its header. The rows go first to a side file while their checksums are computed,
    /// then header and rows are joined, so memory holds one row at a time.
    public static func export(
        from store: any TransferStore, to path: String, progress: @escaping Progress = { _, _, _, _ in }
    )
        async throws -> TransferHeader
    {
        let migrations = try await store.appliedMigrations()
        let tables = TransferTable.dependencyOrdered(try await store.transferTables())
        let rowsPath = path + ".rows.partial"
        let sink = try ExportSink(tables: tables, writer: DumpFileWriter(path: rowsPath), progress: progress)
        defer { try? FileManager.default.removeItem(atPath: rowsPath) }
        try await store.exportRows(of: tables, to: sink)
        guard sink.finished else { throw TransferError.cannotWrite(path: path, reason: "the store did not read every table") }

        let header = TransferHeader(
            format: TransferHeader.formatName, version: TransferHeader.currentVersion, source: store.engine, migrations: migrations,
            createdAt: ISO8601DateFormatter().string(from: Date()),
            tables: zip(tables, sink.digests).map { table, digest in
                TransferHeader.Table(name: table.name, columns: table.columns, orderBy: table.orderBy, rows: digest.rows, sha256: digest.hex())
            })
        let partial = path + ".partial"
        let out = try DumpFileWriter(path: partial)
        do {
            try out.writeLine(Array(try JSONEncoder.dumpHeader.encode(header)))
            guard let rows = FileHandle(forReadingAtPath: rowsPath) else { throw TransferError.cannotRead(path: rowsPath, reason: "vanished") }
            defer { try? rows.close() }
            while let chunk = try rows.read(upToCount: 1 << 20), !chunk.isEmpty { try out.write(chunk) }
            try out.close()
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        guard rename(partial, path) == 0 else {
            throw TransferError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        return header
    }
}

/// Writes the rows a store reads, in canonical form, and keeps each table's digest.
final class ExportSink: TransferRowSink {
    let tables: [TransferTable]
    let writer: DumpFileWriter
    let progress: DataTransfer.Progress
    private(set) var digests: [TableDigest] = []
    private(set) var finished = false
    private var current = -1
    private var total = 0

    init(tables: [TransferTable], writer: DumpFileWriter, progress: @escaping DataTransfer.Progress) {
        self.tables = tables
        self.writer = writer
        self.progress = progress
    }

    func beginTable(_ index: Int, rows: Int) throws {
        guard index == current + 1, index < tables.count else { throw TransferError.cannotWrite(path: writer.path, reason: "tables out of order") }
        current = index
        total = rows
        digests.append(TableDigest())
        try writer.writeLine(DumpMarker.line(table: tables[index].name))
        progress("export", tables[index].name, 0, rows)
    }

    func row(_ values: [TransferValue]) throws {
        let table = tables[current]
        var canonical = values
        for (i, column) in table.columns.enumerated() {
            guard let value = values[i].coerced(to: column.type) else {
                throw TransferError.unconvertible(table: table.name, column: column.name, value: values[i].shortDescription)
            }
            canonical[i] = value
        }
        let line = TransferRowCodec.encode(canonical)
        try writer.writeLine(line)
        digests[current].add(line)
        progress("export", table.name, digests[current].rows, max(total, digests[current].rows))
    }

    func finish() throws {
        guard current == tables.count - 1 else { throw TransferError.cannotWrite(path: writer.path, reason: "not every table was read") }
        try writer.writeLine(DumpMarker.endLine)
        try writer.close()
        finished = true
    }
}
