import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Makes SIGTERM and SIGINT always end `serve`, whatever state it is in.
///
/// While the gateway is starting (reading the configuration, opening and migrating the database,
/// binding the port) there is nothing to drain, so a signal ends the process at once. Once it
/// serves, the service group shuts down gracefully on the same signal; this only bounds how long
/// that may take, and a second signal ends the process at once. When the server could not
/// start, stopping the other services is bounded the same way.
final class ProcessLifecycle: Sendable {
    enum Phase { case starting, serving, stopping }

    /// How long a graceful shutdown may take before the process exits anyway.
    static let shutdownDeadline: Duration = .seconds(30)

    private let phase = Mutex(Phase.starting)
    /// Kept only so the sources live as long as the process; set once in `init`, never touched again.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    init() {
        var sources: [any DispatchSourceSignal] = []
        for signo in [SIGTERM, SIGINT] {
            // Dispatch sources see a signal only once its default action is off; the service
            // group's own sources (for the graceful shutdown) see it too.
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for (source, signo) in zip(sources, [SIGTERM, SIGINT]) {
            source.setEventHandler { [weak self] in self?.received(signo) }
            source.resume()
        }
    }

    /// The server listens: from now on a signal starts the graceful shutdown.
    func serving() {
        phase.withLock { $0 = .serving }
    }

    var isServing: Bool { phase.withLock { $0 == .serving } }

    /// The server failed; the other services are being stopped, within the deadline.
    func failing() {
        phase.withLock { $0 = .stopping }
        armDeadline("stopping after the failure took longer than \(Self.shutdownDeadline)")
    }

    private func received(_ signo: Int32) {
        let name = signo == SIGTERM ? "SIGTERM" : "SIGINT"
        let before = phase.withLock { phase in
            defer { phase = .stopping }
            return phase
        }
        switch before {
        case .starting:
            FileHandle.standardError.write(Data("switchboard: \(name) while starting; exiting\n".utf8))
            exit(128 + signo)
        case .serving:
            armDeadline("graceful shutdown after \(name) took longer than \(Self.shutdownDeadline)")
        case .stopping:
            FileHandle.standardError.write(Data("switchboard: second \(name); exiting now\n".utf8))
            exit(128 + signo)
        }
    }

    private func armDeadline(_ reason: String) {
        let seconds = Double(Self.shutdownDeadline.components.seconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            FileHandle.standardError.write(Data("switchboard: \(reason); exiting\n".utf8))
            exit(1)
        }
    }

    /// Ends the process with `message` unless the returned item is cancelled within `deadline`:
    /// a start-up step (a database that does not answer) must not wait forever, even if what it
    /// awaits ignores cancellation.
    static func exitUnlessDone(within deadline: Duration, _ message: String) -> DispatchWorkItem {
        let item = DispatchWorkItem {
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            exit(1)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + Double(deadline.components.seconds), execute: item)
        return item
    }
}
