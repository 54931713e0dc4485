import ArgumentParser
import Foundation
import SwitchboardCore

/// `switchboard migrate`: brings the configured database's schema up to date and says what it did.
/// `serve` migrates on start as well; this is for doing it ahead of a deployment, or for a database
/// several gateways share.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the storage schema's migrations (SQLite or PostgreSQL, per storage: in the configuration).",
        discussion: "Exit status: 0 applied or up to date, 69 the database is unavailable, 70 a migration failed, 78 the configuration is invalid.")

    @Option(name: .long, help: "Configuration file.")
    var config = "Config/switchboard.yaml"

    func run() async throws {
        let storage = try StorageTool.storage(config: config)
        let store = try StorageTool.open(storage)
        do {
            let report = try await store.migrate()
            try? await store.close()
            let name = StorageTool.describe(storage)
            if report.applied.isEmpty {
                print("\(name): up to date (\(report.alreadyApplied.count) migrations applied)")
            } else {
                for migration in report.applied { print("\(name): applied \(migration)") }
                print("\(name): \(report.applied.count) applied, \(report.alreadyApplied.count) were already there")
            }
            if !report.unknown.isEmpty {
                printError(
                    "note: the database records migrations this build does not know (a newer build?): \(report.unknown.joined(separator: ", "))")
            }
        } catch {
            try? await store.close()
            throw ExitCode(StorageTool.exitCode(for: error, command: "migrate"))
        }
    }
}
