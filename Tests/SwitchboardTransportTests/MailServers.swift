import Foundation
import Synchronization

/// A helper from `tests/support/` run as a child process: it prints one JSON line when ready and
/// cleans up after itself (stops its servers, removes its directory) when its stdin closes, which
/// also happens if this test process dies.
final class SupportProcess: Sendable {
    let info: [String: any Sendable]
    private let process: Process
    private let stdin: FileHandle
    private let exit: ChildExit

    static let supportDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tests/support")

    static func start(_ script: String, _ arguments: [String] = []) async throws -> SupportProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", supportDirectory.appendingPathComponent(script).path] + arguments
        let stdout = Pipe(), stdin = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = stderr
        let exit = ChildExit()
        process.terminationHandler = { _ in exit.fire() }
        try process.run()
        // The blocking pipe read runs on a dispatch thread so parallel tests do not park the pool.
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = stdout.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    line.append(chunk)
                }
                continuation.resume(returning: line)
            }
        }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            kill(process.processIdentifier, SIGKILL)
            let errors = String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
            throw SupportError(message: "\(script) did not start: \(errors)")
        }
        var info: [String: any Sendable] = [:]
        for (key, value) in object {
            if let number = value as? Int { info[key] = number } else if let text = value as? String { info[key] = text }
        }
        return SupportProcess(info: info, process: process, stdin: stdin.fileHandleForWriting, exit: exit)
    }

    private init(info: [String: any Sendable], process: Process, stdin: FileHandle, exit: ChildExit) {
        self.info = info
        self.process = process
        self.stdin = stdin
        self.exit = exit
    }

    func int(_ key: String) -> Int { info[key] as? Int ?? 0 }
    func string(_ key: String) -> String { info[key] as? String ?? "" }

    /// Closing stdin lets the helper clean up; SIGKILL only if it has not exited within 10 s.
    func stop() async {
        try? stdin.close()
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            kill(pid, SIGKILL)
        }
        await exit.wait()
        watchdog.cancel()
    }
}

/// aiosmtpd on a free loopback port (`tests/support/smtp_sink.py`).
struct SMTPSink {
    let helper: SupportProcess
    var url: String { "smtp://127.0.0.1:\(helper.int("port"))" }
    var directory: URL { URL(fileURLWithPath: helper.string("dir")) }

    /// Each received message's DATA bytes and its envelope, in arrival order.
    func messages() throws -> [(data: Data, envelope: [String: Any])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let base = directory.appendingPathComponent(String(name.dropLast(5)))
            let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathExtension("json")))
            return (try Data(contentsOf: base.appendingPathExtension("eml")), envelope as? [String: Any] ?? [:])
        }
    }

    static func with<T>(_ arguments: [String] = [], _ body: (SMTPSink) async throws -> T) async throws -> T {
        let sink = SMTPSink(helper: try await SupportProcess.start("smtp_sink.py", arguments))
        do {
            let result = try await body(sink)
            await sink.helper.stop()
            return result
        } catch {
            await sink.helper.stop()
            throw error
        }
    }
}

/// Dovecot on a free loopback port with one user (`tests/support/dovecot_server.py`).
struct DovecotServer {
    static let user = "support@example.com"
    static let password = "s3cret pass"
    let helper: SupportProcess
    var port: Int { helper.int("port") }
    var imapsPort: Int { helper.int("imaps_port") }
    var url: String { "imap://127.0.0.1:\(port)/INBOX" }
    var maildir: URL { URL(fileURLWithPath: helper.string("maildir")) }
    var certificate: String { helper.string("dir") + "/cert.pem" }

    /// Drops a message into the Maildir as an MDA would: written in `tmp/`, renamed into `new/`,
    /// owned by the mail user, no flags.
    func deliver(_ message: Data) throws {
        let name = "\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString).test"
        let temporary = maildir.appendingPathComponent("tmp/\(name)")
        try message.write(to: temporary)
        if geteuid() == 0 {
            guard chown(temporary.path, uid_t(helper.int("mail_uid")), gid_t(helper.int("mail_gid"))) == 0 else {
                throw SupportError(message: "chown failed: errno \(errno)")
            }
        }
        guard rename(temporary.path, maildir.appendingPathComponent("new/\(name)").path) == 0 else {
            throw SupportError(message: "rename failed: errno \(errno)")
        }
    }

    /// Messages Dovecot has marked `\Seen`, read from the Maildir file names (`…:2,S`), not over
    /// IMAP, so the check does not depend on the code under test.
    func seenCount() throws -> Int {
        let files = try ["new", "cur"].flatMap { try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent($0).path) }
        return files.filter { name in
            guard let info = name.range(of: ":2,") else { return false }
            return name[info.upperBound...].contains("S")
        }.count
    }

    static func with<T>(tls: Bool = false, _ body: (DovecotServer) async throws -> T) async throws -> T {
        let arguments = ["--user", user, "--password", password] + (tls ? ["--tls"] : [])
        let server = DovecotServer(helper: try await SupportProcess.start("dovecot_server.py", arguments))
        do {
            let result = try await body(server)
            await server.helper.stop()
            return result
        } catch {
            await server.helper.stop()
            throw error
        }
    }
}

struct SupportError: Error { var message: String }

/// Lets an async test await the child's exit, whichever of exit and wait comes first.
private final class ChildExit: Sendable {
    private let state = Mutex<(exited: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func fire() {
        state.withLock { state in
            state.exited = true
            return state.waiter.take()
        }?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let alreadyExited = state.withLock { state in
                if !state.exited { state.waiter = continuation }
                return state.exited
            }
            if alreadyExited { continuation.resume() }
        }
    }
}
