import ArgumentParser
import Foundation
import Logging
import SwitchboardCore

/// `switchboard audit verify|export`: checks the audit trail's hash chain, or writes it out.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify or export the audit trail.", subcommands: [Verify.self, ExportTrail.self])

    /// The configured store, migrated (the trail's table exists), and its trail.
    static func open(config: String) async throws -> (StorageTool.OpenStore, AuditTrail, String) {
        let storage = try StorageTool.storage(config: config)
        let store = try StorageTool.open(storage, existing: true)
        do {
            _ = try await store.migrate()
        } catch {
            try? await store.close()
            throw ExitCode(StorageTool.exitCode(for: error, command: "audit"))
        }
        var logger = Logger(label: "switchboard.audit")
        logger.logLevel = .error
        return (store, AuditTrail(store: store, logger: logger), StorageTool.describe(storage))
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry's hash and link, from the first entry kept to the newest.",
            discussion: """
                Prints the number of entries and the head (the newest entry's seq and hash: keep it \
                somewhere else to detect removal of the newest entries later). Exit status: 0 the chain \
                is intact, 65 it is broken (the first broken entry is named), 66 no SQLite database at \
                the configured path, 69 the database is unavailable, 78 the configuration is invalid.
                """)

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        func run() async throws {
            let (store, trail, name) = try await AuditCommand.open(config: config)
            let result: AuditVerification
            do {
                result = try await trail.verify()
                try? await store.close()
            } catch {
                try? await store.close()
                throw ExitCode(StorageTool.exitCode(for: error, command: "audit verify"))
            }
            if let broken = result.broken {
                printError("audit trail of \(name) is broken at entry \(broken.seq): \(broken.reason)")
                printError("\(result.checked) entries before it verified")
                throw ExitCode(StorageTool.dataError)
            }
            guard let head = result.head, let first = result.first else {
                print("audit trail of \(name): empty")
                return
            }
            print("audit trail of \(name) intact: \(result.checked) entries (\(first)–\(head.seq)), head \(head.seq) \(head.hash)")
        }
    }

    struct ExportTrail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write the audit trail as JSON Lines, oldest first (to stdout without --out).",
            discussion: """
                One entry per line: seq, at (ISO 8601), at_ms, actor, action, subject, source, details, \
                prev_hash, hash. The chain is verified while it is written; a broken chain is still \
                written in full, and the exit status is 65 (the first broken entry is named on stderr). \
                Exit status otherwise as for `audit verify`, and 73 when FILE cannot be written.
                """)

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        @Option(name: .long, help: "The file to write (JSON Lines); stdout when omitted.")
        var out: String?

        func run() async throws {
            let (store, trail, name) = try await AuditCommand.open(config: config)
            let partial = out.map { $0 + ".partial" }
            let handle: FileHandle
            if let partial {
                guard FileManager.default.createFile(atPath: partial, contents: nil), let file = FileHandle(forWritingAtPath: partial) else {
                    try? await store.close()
                    printError("audit export: cannot write \(partial)")
                    throw ExitCode(StorageTool.cannotCreate)
                }
                handle = file
            } else {
                handle = FileHandle.standardOutput
            }
            var verifier = AuditVerifier()
            var broken: AuditBreak?
            var written = 0
            do {
                // Every entry is written; the verifier only remembers the first break.
                try await trail.walk { entry in
                    try handle.write(contentsOf: JSONCoding.encode(entry) + [UInt8(ascii: "\n")])
                    written += 1
                    if broken == nil { broken = verifier.check(entry) }
                    return true
                }
                if broken == nil { broken = verifier.finish() }
                try? await store.close()
            } catch {
                try? await store.close()
                throw ExitCode(StorageTool.exitCode(for: error, command: "audit export"))
            }
            if let partial, let out {
                try? handle.close()
                do {
                    if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
                    try FileManager.default.moveItem(atPath: partial, toPath: out)
                } catch {
                    printError("audit export: cannot write \(out): \(error)")
                    throw ExitCode(StorageTool.cannotCreate)
                }
                printError("exported \(written) audit entries of \(name) to \(out)")
            }
            if let broken {
                printError("audit trail of \(name) is broken at entry \(broken.seq): \(broken.reason)")
                throw ExitCode(StorageTool.dataError)
            }
        }
    }
}
