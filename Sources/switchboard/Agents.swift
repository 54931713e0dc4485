import ArgumentParser
import Foundation
import Logging
import SwitchboardConfig
import SwitchboardCore
import SwitchboardGateway
import SwitchboardSQLite

#if canImport(Glibc)
import Glibc
#endif

/// Operator tools for agents' console credentials.
struct Agents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage agents' console credentials.", subcommands: [Passwd.self, Signout.self, TOTPCommand.self])

    /// The configured storage as a session store, after checking that `id` is a configured agent.
    /// These commands need no secrets, so variables the file names but this shell lacks (tokens,
    /// webhook secrets) are not an error here; the database's own (`password_env`) still is.
    static func sessionStore(config: String, agent id: String) async throws -> any Store & SessionStore {
        let loaded: GatewayConfig
        do {
            // A stand-in long enough to pass the token checks, for variables this shell lacks.
            let standIn = String(repeating: "x", count: ConfigLoader.minimumTokenLength)
            loaded = try ConfigLoader.load(path: config, environment: { ProcessInfo.processInfo.environment[$0] ?? standIn })
        } catch {
            for problem in error.problems { printError(problem.description) }
            throw ExitCode(1)
        }
        guard loaded.agents.contains(where: { $0.id == id }) else {
            printError("\(config): there is no agent '\(id)'")
            throw ExitCode(1)
        }
        let store = try StorageTool.open(loaded.storage)
        let sessions = store
        do {
            try await sessions.prepare(agents: loaded.agents)
        } catch {
            printError("\(config): cannot prepare the database (\(StorageTool.describe(loaded.storage))): \(error)")
            throw ExitCode(1)
        }
        return sessions
    }

    struct Signout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End every console session of an agent.",
            discussion:
                "The agent must sign in again in every browser. Their API token is not changed: rotate it in the environment the configuration names (token_env) and restart the gateway, which also ends the console sessions opened with the old token."
        )

        @Argument(help: "The agent's id, as in the configuration.")
        var id: String

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        func run() async throws {
            let store = try await Agents.sessionStore(config: config, agent: id)
            let ended = try await store.deleteSessions(agent: id)
            await AuditTrail(store: store).record(
                .signedOutEverywhere, actor: AuditActor.operator, subject: "agent:\(id)",
                details: [
                    "sessions": String(ended)
                ])
            try await store.close()
            print("signed out \(id): \(ended) console session\(ended == 1 ? "" : "s") ended")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an agent's console password (read from stdin; asked twice on a terminal).",
            discussion: "Stores a salted PBKDF2-HMAC-SHA256 hash in the database and signs the agent out everywhere.")

        @Argument(help: "The agent's id, as in the configuration.")
        var id: String

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        func run() async throws {
            let store = try await Agents.sessionStore(config: config, agent: id)
            let password = try readPassword()
            if let weakness = ConsolePassword.weakness(password) {
                printError("refused: \(weakness)")
                throw ExitCode(1)
            }
            let hashed = try ConsolePassword.hash(password)
            try await store.setPassword(agent: id, hash: hashed.hash, salt: hashed.salt, iterations: hashed.iterations, at: Date())
            await AuditTrail(store: store).record(.passwordChanged, actor: AuditActor.operator, subject: "agent:\(id)")
            try await store.close()
            print("password set for \(id)")
        }

        private func readPassword() throws -> String {
            guard isatty(STDIN_FILENO) != 0 else {
                guard let line = readLine(strippingNewline: true) else {
                    printError("no password on stdin")
                    throw ExitCode(1)
                }
                return line
            }
            let first = try prompt("New console password for \(id): ")
            let second = try prompt("Again: ")
            guard first == second else {
                printError("the passwords differ; nothing changed")
                throw ExitCode(1)
            }
            return first
        }

        /// Reads one line from the terminal without echoing it.
        private func prompt(_ text: String) throws -> String {
            FileHandle.standardError.write(Data(text.utf8))
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
            defer {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            guard let line = readLine(strippingNewline: true) else { throw ExitCode(1) }
            return line
        }
    }
}
