import ArgumentParser
import Foundation
import Logging
import SwitchboardCore
import SwitchboardGateway

/// `switchboard customers export|erase`: a customer's record (right of access) and its erasure,
/// from the operator's shell. Both are recorded in the audit trail (actor `operator`).
///
/// Exit status: 0 done · 65 refused (already erased, merged into another customer) · 66 no such
/// customer · 69 the database is unavailable · 70 the database refused · 73 FILE cannot be written
/// · 78 the configuration is invalid.
struct Customers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a customer's record, or erase the customer.", subcommands: [ExportRecord.self, Erase.self])

    static func open(config: String) async throws -> StorageTool.OpenStore {
        let storage = try StorageTool.storage(config: config)
        let store = try StorageTool.open(storage, existing: true)
        do {
            _ = try await store.migrate()
        } catch {
            try? await store.close()
            throw ExitCode(StorageTool.exitCode(for: error, command: "customers"))
        }
        return store
    }

    static func exitCode(_ error: any Error, command: String) -> ExitCode {
        if let refusal = error as? ServiceError {
            printError("\(command): \(refusal.message)")
            switch refusal.status {
            case 404: return ExitCode(StorageTool.noInput)
            case 400, 409, 422: return ExitCode(StorageTool.dataError)
            case 503: return ExitCode(StorageTool.unavailable)
            default: return ExitCode(StorageTool.software)
            }
        }
        return ExitCode(StorageTool.exitCode(for: error, command: command))
    }

    struct ExportRecord: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write everything held about a customer to FILE.",
            discussion: """
                --format json (the default) writes a zip: customer.json (identities, every conversation and \
                message with its delivery, internal notes marked, merges), customer.html (the same, readable, \
                linking the files) and attachments/. --format html writes the page alone. The context \
                providers' data is only in exports made through the API (the gateway holds it in memory).
                """)

        @Argument(help: "The customer's id.")
        var id: Int64

        @Option(name: .long, help: "The file to write.")
        var out: String

        @Option(name: .long, help: "json (a zip) or html.")
        var format = "json"

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        func validate() throws {
            guard format == "json" || format == "html" else { throw ValidationError("--format must be json or html") }
        }

        func run() async throws {
            let store = try await Customers.open(config: config)
            let bytes: Data
            do {
                let records = CustomerRecords(store: store, references: try await store.gatewayKey().references)
                let record = try await records.record(id, exportedBy: AuditActor.operator)
                if format == "html" {
                    bytes = Data(CustomerRecordFiles.html(record) { file, _ in file.path }.utf8)
                } else {
                    bytes = try await CustomerRecordFiles.zip(record) { message, index in try await records.content(message: message, index: index) }
                }
                await AuditTrail(store: store).record(
                    .customerExported, actor: AuditActor.operator, subject: "customer:\(id)",
                    details: [
                        "format": format, "conversations": String(record.conversations.count), "files": String(record.files.count),
                    ])
                try? await store.close()
            } catch {
                try? await store.close()
                throw Customers.exitCode(error, command: "customers export")
            }
            guard FileManager.default.createFile(atPath: out, contents: bytes) else {
                printError("customers export: cannot write \(out)")
                throw ExitCode(StorageTool.cannotCreate)
            }
            print("customer \(id): \(bytes.count) bytes written to \(out)")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a customer: identities, name, message text, personal metadata and attachments, in one transaction.",
            discussion: """
                Irreversible. The conversations stay as anonymous records (counts and reports unchanged); \
                replies still queued to the customer are cancelled; a later message from the same address \
                starts a new customer. The erasure is recorded in the audit trail with the reason (who, \
                when, why; not what). A running gateway drops its cached context data within its cache time.
                """)

        @Argument(help: "The customer's id.")
        var id: Int64

        @Option(name: .long, help: "Why (recorded in the audit trail; no personal data).")
        var reason: String

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        func run() async throws {
            let store = try await Customers.open(config: config)
            do {
                let outcome = try await CustomerErasure(store: store).erase(id, reason: reason, by: AuditActor.operator)
                try? await store.close()
                print(
                    """
                    erased customer \(id)\(outcome.customers.count > 1 ? " (and merged customers \(outcome.customers.dropFirst().map(String.init).joined(separator: ", ")))" : ""): \
                    \(outcome.messages) messages, \(outcome.identities) addresses, \(outcome.cancelledDeliveries) queued replies cancelled, \
                    \(outcome.deletedContents) files deleted; audit entry \(outcome.audit.seq)
                    """)
            } catch {
                try? await store.close()
                throw Customers.exitCode(error, command: "customers erase")
            }
        }
    }
}
