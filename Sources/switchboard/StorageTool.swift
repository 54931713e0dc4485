import ArgumentParser
import Foundation
import Logging
import SwitchboardConfig
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardSQLite

/// What `migrate`, `export` and `import` share: the store named by `storage:` in the
/// configuration, the exit statuses (sysexits) and the progress lines.
///
/// Exit status: 0 done · 65 the dump is invalid, altered, or does not fit the target's schema, or
/// verification failed · 66 the dump (or the SQLite database to export) does not exist · 69 the
/// database is unavailable · 70 the database refused a statement · 73 the output cannot be written,
/// or the target already holds data · 78 the configuration is invalid.
enum StorageTool {
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cannotCreate: Int32 = 73
    static let configError: Int32 = 78

    typealias OpenStore = any Store & TransferStore

    /// The configuration's storage; problems are printed as `file:line: message` (exit 78).
    /// Unset environment variables outside `storage:` (agents' tokens, adapters' secrets) do not
    /// matter to these tools, so an operator's shell need not carry the gateway's secrets.
    static func storage(config: String) throws -> StorageSettings {
        let environment = ProcessInfo.processInfo.environment
        do {
            return try ConfigLoader.load(path: config).storage
        } catch {
            let fatal = error.problems.filter { !($0.message.contains("environment variable") && !$0.message.hasPrefix("storage")) }
            // The stand-in is long enough to pass the token checks: only `storage:` is used.
            let standIn = String(repeating: "x", count: ConfigLoader.minimumTokenLength)
            if fatal.isEmpty, let loaded = try? ConfigLoader.load(path: config, environment: { environment[$0] ?? standIn }) {
                return loaded.storage
            }
            for problem in error.problems { printError(problem.description) }
            throw ExitCode(configError)
        }
    }

    /// Opens the store; `existing` refuses to create a missing SQLite file (export reads one).
    static func open(_ storage: StorageSettings, existing: Bool = false) throws -> OpenStore {
        var logger = Logger(label: "switchboard.storage")
        logger.logLevel = .error
        switch storage {
        case .sqlite(let path):
            if existing && !FileManager.default.fileExists(atPath: path) {
                printError("no SQLite database at \(path)")
                throw ExitCode(noInput)
            }
            do {
                return try SQLiteStore(path: path, logger: logger)
            } catch {
                printError("cannot open the SQLite database at \(path): \(error)")
                throw ExitCode(unavailable)
            }
        case .postgres(let url, let password, _, _, let prepared):
            do {
                return try PostgresStore(url: url, password: password, pool: 2, preparedStatements: prepared, logger: logger)
            } catch {
                printError("cannot use the PostgreSQL database at \(url): \(error)")
                throw ExitCode(configError)
            }
        }
    }

    /// How the store is named in messages (the URL never carries a password: the config refuses one).
    static func describe(_ storage: StorageSettings) -> String {
        switch storage {
        case .sqlite(let path): return "SQLite \(path)"
        case .postgres(let url, _, _, _, _): return "PostgreSQL \(url)"
        }
    }

    /// Prints why `error` stopped the command and returns the exit status it means.
    static func exitCode(for error: any Error, command: String) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        printError("\(command): \(error)")
        switch error {
        case let error as TransferError:
            switch error {
            case .cannotRead: return noInput
            case .cannotWrite, .targetNotEmpty: return cannotCreate
            case .notADump, .invalidDump, .verificationFailed, .schemaMismatch, .unconvertible: return dataError
            }
        case let error as ServiceError where error.status == 503: return unavailable
        case StoreError.unavailable: return unavailable
        default: return software
        }
    }
}

/// Progress on stderr: a line each second, and every `every` rows when that is set.
final class ProgressPrinter {
    let every: Int
    private var last = ContinuousClock.now
    private var printed: (String, String) = ("", "")

    init(every: Int) {
        self.every = every
    }

    func report(_ phase: String, _ table: String, _ done: Int, _ total: Int) {
        let now = ContinuousClock.now
        let due = now - last >= .seconds(1) || (every > 0 && done > 0 && done % every == 0)
        guard due else { return }
        last = now
        let percent = total > 0 ? " (\(done * 100 / total)%)" : ""
        printError("\(phase): \(table) \(done)/\(total) rows\(percent)")
    }
}

extension TransferHeader {
    /// One line per table: name, rows, the start of the checksum.
    var tableLines: [String] {
        let width = tables.map(\.name.count).max() ?? 0
        return tables.map { table in
            "  \(table.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(table.rows).leftPadded(9)) rows  sha256 \(table.sha256.prefix(16))…"
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
