import ArgumentParser
import Foundation
import SwitchboardCore

/// `switchboard export`: writes every table of the configured store to a portable dump
/// (JSON Lines with per-table counts and SHA-256 checksums), read from one consistent snapshot,
/// so a running gateway may keep working meanwhile.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the configured database to a portable dump file (to move SQLite <-> PostgreSQL).",
        discussion: """
            The dump is JSON Lines: a header (format version, source engine and migrations, per-table \
            columns, row counts and SHA-256), then each table's rows in dependency order. It is \
            written to DUMP.partial and renamed when complete. Progress goes to stderr. Exit status: \
            0 written, 66 no SQLite database at the configured path, 69 the database is unavailable, \
            70 the database refused a query, 73 DUMP cannot be written, 78 the configuration is invalid.
            """)

    @Option(name: .long, help: "Configuration file whose storage: is exported.")
    var config = "Config/switchboard.yaml"

    @Option(name: .long, help: "The dump file to write.")
    var out: String

    @Option(name: .long, help: "Also print progress every N rows (besides once a second); 0: only each second.")
    var progressEvery = 0

    func run() async throws {
        let storage = try StorageTool.storage(config: config)
        let store = try StorageTool.open(storage, existing: true)
        let progress = ProgressPrinter(every: progressEvery)
        let started = ContinuousClock.now
        do {
            let header = try await DataTransfer.export(from: store, to: out, progress: progress.report)
            try? await store.close()
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "exported \(header.totalRows) rows of \(header.tables.count) tables from \(StorageTool.describe(storage)) to \(out) (\(size) bytes, \(String(format: "%.1f", seconds)) s)"
            )
            header.tableLines.forEach { print($0) }
        } catch {
            try? await store.close()
            throw ExitCode(StorageTool.exitCode(for: error, command: "export"))
        }
    }
}
