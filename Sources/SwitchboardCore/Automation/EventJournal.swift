import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Writes the events published after a commit (agents' actions, promises, deliveries, rules'
/// actions) to the automation queue, in batches and in the order published. Ingestion writes its
/// own in its transaction instead (see ``IngestPolicy/journal``). An API call that caused events
/// waits for ``flushed()`` before it answers, so a 2xx means its events are queued; a crash between
/// the commit and that write loses them (the window is one batch, milliseconds).
public final class EventJournal: Service, Sendable {
    private struct State {
        var pending: [QueuedEvent] = []
        /// Events recorded so far, and written so far (in order, so a count says which).
        var recorded: UInt64 = 0
        var written: UInt64 = 0
        var waiters: [(upTo: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var wake: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let store: any AutomationQueueStore
    public let routing: AutomationRouting
    private let state = Mutex(State())
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Told after each batch is written (the rules and webhook dispatchers look at once).
    private let onWritten: @Sendable () -> Void

    public init(
        store: any AutomationQueueStore, routing: AutomationRouting, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
        onWritten: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.routing = routing
        self.logger = logger
        self.now = now
        self.onWritten = onWritten
    }

    /// Queues what `event` means for the rules and webhooks; returns at once.
    public func record(_ event: DomainEvent, conversation: ConversationAccess, cause: String?) {
        guard !routing.isEmpty else { return }
        let entries = routing.queued(event, conversation: conversation.id, cause: cause, at: now())
        guard !entries.isEmpty else { return }
        let wake = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.pending += entries
            s.recorded += UInt64(entries.count)
            defer { s.wake = nil }
            return s.wake
        }
        wake?.resume()
    }

    /// Returns once everything recorded before the call is written (or the journal stopped).
    public func flushed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.written >= s.recorded || s.closed { return true }
                s.waiters.append((s.recorded, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            var failures = 0
            while true {
                let batch = state.withLock { s -> [QueuedEvent] in
                    let taken = Array(s.pending.prefix(500))
                    return taken
                }
                if batch.isEmpty {
                    let closed = state.withLock { $0.closed }
                    if closed { break }
                    await waitForWork()
                    continue
                }
                do {
                    try await store.enqueue(batch)
                    failures = 0
                    let resumed = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                        s.pending.removeFirst(batch.count)
                        s.written += UInt64(batch.count)
                        let ready = s.waiters.filter { $0.upTo <= s.written }.map(\.continuation)
                        s.waiters.removeAll { $0.upTo <= s.written }
                        return ready
                    }
                    resumed.forEach { $0.resume() }
                    onWritten()
                } catch {
                    failures += 1
                    logger.warning("automation events not written yet; retrying", metadata: ["error": "\(error)", "events": "\(batch.count)"])
                    if state.withLock({ $0.closed }) && failures >= 3 { break }
                    try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(failures, 6)))))
                }
            }
            let (waiters, lost) = state.withLock { s -> ([CheckedContinuation<Void, Never>], Int) in
                defer { s.waiters.removeAll() }
                return (s.waiters.map(\.continuation), s.pending.count)
            }
            if lost > 0 { logger.error("automation events lost at shutdown: the database did not take them", metadata: ["events": "\(lost)"]) }
            waiters.forEach { $0.resume() }
        } onGracefulShutdown: {
            let wake = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.closed = true
                defer { s.wake = nil }
                return s.wake
            }
            wake?.resume()
        }
    }

    private func waitForWork() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.pending.isEmpty || s.closed { return true }
                s.wake = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}
