import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How an adapter process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// It exited by itself with this status.
    case exited(Int32)
    /// A signal ended it (SIGKILL: 9).
    case signalled(Int32)

    /// "exited with status 1", "killed by signal 9": shown in `/readyz`.
    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "killed by signal \(signal)"
        }
    }
}

/// Why a process could not be started.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the program.
    public var message: String
    /// The message.
    public var description: String { message }
}

/// One running adapter process with its three pipes. Foundation's `Process` starts it in a
/// process group of its own, so signals reach whatever it started too.
final class ChildProcess: Sendable {
    private struct ExitState {
        var status: ExitStatus?
        var waiters: [CheckedContinuation<ExitStatus, Never>] = []
    }

    let pid: Int32
    let writer: LineWriter
    let stdoutLines: AsyncStream<[[UInt8]]>
    let stderrLines: AsyncStream<[[UInt8]]>
    private let readers: [LineReader]
    private let exit = Mutex(ExitState())
    /// Keeps the `Process` (and its termination handler) alive until it has ended.
    private let process: Mutex<Process?>

    /// Lines longer than this from the process are dropped, so a runaway one cannot exhaust memory.
    static let maxLine = 16 * 1024 * 1024

    /// Writing to a pipe whose reader died raises SIGPIPE, which would end the gateway; a failed
    /// write is handled where it happens instead. (SwiftNIO does the same on Linux.)
    private static let ignoreSIGPIPE: Void = {
        #if canImport(Glibc)
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        #else
        _ = Darwin.signal(SIGPIPE, SIG_IGN)
        #endif
    }()

    private init(
        pid: Int32, process: Process, writer: LineWriter, stdout: (LineReader, AsyncStream<[[UInt8]]>), stderr: (LineReader, AsyncStream<[[UInt8]]>)
    ) {
        self.pid = pid
        self.process = Mutex(process)
        self.writer = writer
        self.stdoutLines = stdout.1
        self.stderrLines = stderr.1
        self.readers = [stdout.0, stderr.0]
    }

    /// Starts `settings.command`. `onStuck` is called if the process stops reading its stdin.
    static func launch(_ settings: ExternalSettings, name: String, onStuck: @escaping @Sendable () -> Void) throws -> ChildProcess {
        _ = ignoreSIGPIPE
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(settings))
        process.arguments = Array(settings.command.dropFirst())
        process.environment = settings.environment
        if let directory = settings.directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let box = ExitBox()
        process.terminationHandler = { ended in
            let status: ExitStatus =
                ended.terminationReason == .uncaughtSignal
                ? .signalled(ended.terminationStatus) : .exited(ended.terminationStatus)
            box.ended(status)
        }
        do {
            try process.run()
        } catch {
            throw LaunchError(message: "cannot start \(settings.command[0]): \(error.localizedDescription)")
        }
        // A process that stops reading its stdin is hung: it is killed (and restarted) rather than
        // letting the queued lines grow without bound.
        let writer = LineWriter(handle: stdin.fileHandleForWriting, name: "\(name).stdin", maxBacklog: 32 * 1024 * 1024) {
            onStuck()
            box.signal(SIGKILL)
        }
        let child = ChildProcess(
            pid: process.processIdentifier, process: process, writer: writer,
            stdout: LineReader.start(handle: stdout.fileHandleForReading, name: "\(name).stdout", maxLine: maxLine),
            stderr: LineReader.start(handle: stderr.fileHandleForReading, name: "\(name).stderr", maxLine: 64 * 1024))
        // The handler may already have run: the box hands the status over either way.
        box.attach(child)
        return child
    }

    /// Waits until the process has ended.
    func exitStatus() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let known = exit.withLock { state -> ExitStatus? in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    var hasExited: Bool { exit.withLock { $0.status != nil } }

    /// Sends `sig` to the process group, unless the process has been reaped (its id may be reused).
    func signal(_ sig: Int32) {
        exit.withLock { state in
            if state.status == nil { _ = kill(-pid, sig) }
        }
    }

    /// Asks the process to finish: stdin is closed (EOF), then SIGTERM after `grace`, then SIGKILL
    /// after `grace` again. Returns once it has ended.
    func stop(grace: Duration) async -> ExitStatus {
        writer.close()
        for sig in [SIGTERM, SIGKILL] {
            if let status = await exitStatus(within: grace) { return status }
            signal(sig)
        }
        return await exitStatus()
    }

    /// The exit status if the process ends within `limit`, else nil.
    private func exitStatus(within limit: Duration) async -> ExitStatus? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let status = exit.withLock({ $0.status }) { return status }
            // Cancelled, the sleep would return at once: escalate without the grace instead of spinning.
            if Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exit.withLock { $0.status }
    }

    fileprivate func ended(_ status: ExitStatus) {
        let waiters = exit.withLock { state in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        // A grandchild may still hold the pipes open; the readers then stop at the next quiet moment.
        for reader in readers { reader.stop() }
        for waiter in waiters { waiter.resume(returning: status) }
        _ = process.withLock { $0.take() }
    }

    /// The program's path: as given when it contains a `/`, else the first match in the child's `PATH`.
    static func resolve(_ settings: ExternalSettings) throws -> String {
        let program = settings.command.first ?? ""
        guard !program.isEmpty else { throw LaunchError(message: "no command configured") }
        if program.contains("/") {
            if program.hasPrefix("/") { return program }
            let base = settings.directory ?? FileManager.default.currentDirectoryPath
            return URL(fileURLWithPath: base).appendingPathComponent(program).path
        }
        let path = settings.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw LaunchError(message: "cannot start \(program): not found in PATH (\(path))")
    }
}

/// Carries the termination to the `ChildProcess`, which exists only after `run()` returned; the
/// handler may run before that.
private final class ExitBox: Sendable {
    private let state = Mutex<(child: ChildProcess?, early: ExitStatus?)>((nil, nil))

    func attach(_ process: ChildProcess) {
        let early = state.withLock { s in
            s.child = process
            return s.early
        }
        if let early { process.ended(early) }
    }

    func signal(_ sig: Int32) {
        state.withLock { $0.child }?.signal(sig)
    }

    func ended(_ status: ExitStatus) {
        let child = state.withLock { s in
            if s.child == nil { s.early = status }
            return s.child
        }
        child?.ended(status)
    }
}
