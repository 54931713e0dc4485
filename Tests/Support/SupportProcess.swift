import Foundation
import Synchronization

/// A helper from `e2e/support/` run as a child process: it prints one JSON line when ready and
/// cleans up after itself (stops its servers, removes its directory) when its stdin closes, which
/// also happens if this test process dies.
public final class SupportProcess: Sendable {
    public let info: [String: any Sendable]
    private let process: Process
    private let stdin: FileHandle
    private let exit: ChildExit

    public static let supportDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("e2e/support")

    public static func start(_ script: String, _ arguments: [String] = []) async throws -> SupportProcess {
        try await launch(["python3", supportDirectory.appendingPathComponent(script).path] + arguments, name: script)
    }

    private static func launch(_ command: [String], name script: String) async throws -> SupportProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let stdout = Pipe()
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = stderr
        let exit = ChildExit()
        process.terminationHandler = { _ in exit.fire() }
        try process.run()
        let line = await offThePool("support-process-start") {
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = stdout.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            return line
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

    public func int(_ key: String) -> Int { info[key] as? Int ?? 0 }
    public func string(_ key: String) -> String { info[key] as? String ?? "" }

    /// Closing stdin lets the helper clean up; SIGKILL only if it has not exited within 10 s.
    public func stop() async {
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

/// A support helper that did not start or misbehaved.
public struct SupportError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

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
