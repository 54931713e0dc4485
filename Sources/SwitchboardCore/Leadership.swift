import Metrics
import Synchronization

/// Whether this gateway does the work that must happen once per deployment (SLA timers,
/// reassignments, background adapters such as IMAP polling and CDR tailing). With one process
/// (SQLite) it always does; with several on one database, a store-specific election (e.g. a
/// PostgreSQL advisory lock) decides, and moves the role when the holder dies.
public protocol Leadership: Sendable {
    /// The role now, for work that looks at it on every tick anyway.
    var isLeader: Bool { get }
    /// The role now, then each change, for work that must start and stop with it. Ends when the
    /// listening task is cancelled.
    func roleChanges() -> AsyncStream<Bool>
    /// Campaigns for (and keeps) the role until cancelled.
    func run() async throws
}

extension Leadership {
    /// Returns as soon as this gateway's role is `leading` (at once when it already is), or when
    /// the task is cancelled.
    public func wait(untilLeading leading: Bool) async {
        for await now in roleChanges() where now == leading { return }
        // A role that no longer changes (a sole process): nothing to wait for but the end.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}

/// The single-process case: always the leader.
public struct SoleLeader: Leadership {
    public init() {}
    public var isLeader: Bool { true }
    public func roleChanges() -> AsyncStream<Bool> { AsyncStream { $0.yield(true) } }
    public func run() async throws {}
}

/// The role as an election implementation keeps it: read at any time, watched by any number of
/// listeners, and exported as the gauge `switchboard_leader` (1 on the leader, 0 elsewhere).
public final class LeaderRole: Sendable {
    private struct State {
        var leading = false
        var listeners: [Int: AsyncStream<Bool>.Continuation] = [:]
        var nextListener = 0
    }

    private let state = Mutex(State())
    private let gauge = Gauge(label: "switchboard_leader")

    public init() {
        gauge.record(0)
    }

    /// The role now.
    public var isLeader: Bool { state.withLock { $0.leading } }

    /// Records the role; listeners hear of it only when it changed.
    public func set(_ leading: Bool) {
        let changed = state.withLock { state -> Bool in
            guard state.leading != leading else { return false }
            state.leading = leading
            // Under the lock, so that two changes cannot reach a listener in the wrong order.
            for listener in state.listeners.values { listener.yield(leading) }
            return true
        }
        if changed { gauge.record(leading ? 1 : 0) }
    }

    /// The role now, then each change (see ``Leadership/roleChanges()``).
    public func changes() -> AsyncStream<Bool> {
        // Only the latest role matters to a listener that fell behind.
        let (stream, continuation) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextListener
            state.nextListener += 1
            state.listeners[id] = continuation
            // Under the lock, so a change made meanwhile cannot arrive before the current role.
            continuation.yield(state.leading)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }
}
