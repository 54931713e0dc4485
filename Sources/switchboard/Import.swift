import ArgumentParser
import Foundation
import SwitchboardCore

/// `switchboard import`: loads a dump written by `export` into the configured store, all or
/// nothing, and verifies what the target holds against the dump's counts and checksums.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a dump written by export into the configured (fresh) database, verified by counts and checksums.",
        discussion: """
            The target's migrations are applied first; then, in one transaction, the rows are \
            inserted (checked against the header as they are read), identity sequences are moved past \
            the largest ids, and every table is read back and checked again; anything wrong rolls it \
            all back. A target that already holds data (anything beyond the agents a gateway start \
            records) is refused. Stop the gateways of the target while importing. Exit status: 0 \
            imported and verified, 65 the dump is invalid or altered, does not fit the target's schema, \
            or verification failed (the message names the table), 66 DUMP does not exist, 69 the \
            database is unavailable, 70 the database refused a statement, 73 the target already holds \
            data, 78 the configuration is invalid.
            """)

    @Option(name: .long, help: "Configuration file whose storage: receives the dump.")
    var config = "Config/switchboard.yaml"

    @Argument(help: "The dump file written by export.")
    var dump: String

    @Option(name: .long, help: "Also print progress every N rows (besides once a second); 0: only each second.")
    var progressEvery = 0

    func run() async throws {
        let storage = try StorageTool.storage(config: config)
        do {
            _ = try DataTransfer.header(of: dump)  // an unreadable or foreign file fails before the database is touched
        } catch {
            throw ExitCode(StorageTool.exitCode(for: error, command: "import"))
        }
        let store = try StorageTool.open(storage)
        let progress = ProgressPrinter(every: progressEvery)
        let started = ContinuousClock.now
        do {
            let header = try await DataTransfer.importDump(at: dump, into: store, progress: progress.report)
            try? await store.close()
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "imported \(header.totalRows) rows of \(header.tables.count) tables from \(dump) (\(header.source)) into \(StorageTool.describe(storage)) (\(String(format: "%.1f", seconds)) s)"
            )
            print("verified: every table's row count and SHA-256 on the target match the dump")
            header.tableLines.forEach { print($0) }
        } catch {
            try? await store.close()
            throw ExitCode(StorageTool.exitCode(for: error, command: "import"))
        }
    }
}
