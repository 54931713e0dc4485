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
        abstract: "Manage agents' console credentials.", subcommands: [Passwd.self])

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an agent's console password (read from stdin; asked twice on a terminal).",
            discussion: "Stores a salted PBKDF2-HMAC-SHA256 hash in the database and signs the agent out everywhere.")

        @Argument(help: "The agent's id, as in the configuration.")
        var id: String

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        func run() async throws {
            // Setting a password needs no secrets, so variables the file names but this shell
            // lacks (tokens, webhook secrets) are not an error here.
            let loaded: GatewayConfig
            do {
                loaded = try ConfigLoader.load(path: config, environment: { ProcessInfo.processInfo.environment[$0] ?? "unused" })
            } catch {
                for problem in error.problems { printError(problem.description) }
                throw ExitCode(1)
            }
            guard loaded.agents.contains(where: { $0.id == id }) else {
                printError("\(config): there is no agent '\(id)'")
                throw ExitCode(1)
            }
            guard case .sqlite(let path) = loaded.storage else {
                printError("\(config): console passwords are kept in SQLite storage only in this build")
                throw ExitCode(1)
            }
            let password = try readPassword()
            if let weakness = ConsolePassword.weakness(password) {
                printError("refused: \(weakness)")
                throw ExitCode(1)
            }
            let hashed = try ConsolePassword.hash(password)
            let store = try SQLiteStore(path: path, logger: Logger(label: "switchboard.passwd"))
            try await store.prepare(agents: loaded.agents)
            try await store.setPassword(agent: id, hash: hashed.hash, salt: hashed.salt, iterations: hashed.iterations, at: Date())
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
