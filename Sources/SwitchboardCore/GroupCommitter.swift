import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Commits inbound messages in groups: while one transaction is being written, new arrivals queue,
/// and the next transaction takes all of them. No caller is answered before its commit is durable,
/// and at low load a message is written at once (no timer), so batching costs no latency.
///
/// Under steady moderate load the groups stay small (a commit takes well under a millisecond), and
/// each commit writes every page it touched again: at 2,000 messages/s, 1.7 messages a group wrote
/// 85 KB per message. So, like PostgreSQL's `commit_delay` with `commit_siblings`, when the last group
/// held more than one request (others are writing too) and this one is small, the writer first waits
/// for more (`storage.commit_delay`): until the group holds ``gatheredEnough`` messages, and never
/// longer than `commitDelay`.
///
/// Two stages, as a database's WAL writer does it: the writer commits group after group (visible at
/// once), and the syncer makes what was committed durable, one flush for every group committed since
/// the last one, and only then answers those groups' callers. The next group's work overlaps the
/// previous group's flush instead of waiting for it (on engines whose commit is already durable the
/// flush is a no-op). A failed flush stops the committer: what it covered may be gone from the disk,
/// so nothing more is acknowledged until the gateway restarts and the database recovers (a flush the
/// engine reports as ``StoreError/unavailable(_:)`` only refuses the groups it was for).
public final class GroupCommitter: Service, Sendable {
    private struct Pending {
        var items: [IngestItem]
        var continuation: CheckedContinuation<[IngestOutcome], any Error>
    }

    /// A group committed but not yet known to be durable.
    private struct Committed {
        var group: [Pending]
        var items: [IngestItem]
        var outcomes: [IngestOutcome]
    }

    private struct State {
        var queue: [Pending] = []
        var waiter: CheckedContinuation<Void, Never>?
        /// The writer waiting for a small group to grow: resumed once the queue holds `needed` items,
        /// or by the timer of the same `round` (a later round's wait is not the timer's to end).
        var gatherer: (continuation: CheckedContinuation<Void, Never>, needed: Int, round: UInt64)?
        var round: UInt64 = 0

        /// Items waiting; counted only while the writer gathers, when the queue holds fewer than a
        /// group's worth.
        var queuedItems: Int { queue.reduce(0) { $0 + $1.items.count } }
        var closed = false
        var committed: [Committed] = []
        var syncWaiter: CheckedContinuation<Void, Never>?
        var writerDone = false
        /// Set by a failed flush: every later submission is refused.
        var failure: String?

        /// Takes queued requests, oldest first, while their items stay under `limit` (at least one
        /// request when `atLeastOne`, however many items it holds).
        mutating func take(upTo limit: Int, atLeastOne: Bool) -> [Pending] {
            var count = 0
            var taken = 0
            while taken < queue.count, count < limit || (atLeastOne && taken == 0) {
                count += queue[taken].items.count
                taken += 1
            }
            defer { queue.removeFirst(taken) }
            return Array(queue.prefix(taken))
        }
    }

    /// Why the committer stopped (the gateway must restart for the database to recover).
    public struct SyncFailed: Error, CustomStringConvertible {
        public let description: String
    }

    private let store: any InboundStore
    private let policy: IngestPolicy
    private let maxBatch: Int
    private let commitDelay: Duration
    /// Groups of at least this many items are committed without waiting.
    private static let gatheredEnough = 8
    private let logger: Logger
    private let state = Mutex(State())
    private let batchSizes = Recorder(label: "switchboard_ingest_batch_size")
    private let syncedGroups = Recorder(label: "switchboard_ingest_groups_per_sync")
    private let flushTimes = Timer(label: "switchboard_ingest_flush_seconds", preferredDisplayUnit: .seconds)
    /// A flush slower than this is logged: every answer to a channel in those groups waited for it,
    /// and what is slow there is the disk (or, on PostgreSQL, the database's WAL flush).
    public static let slowFlush: Duration = .milliseconds(100)
    private let writeTimes = Timer(label: "switchboard_ingest_write_seconds", preferredDisplayUnit: .seconds)
    /// A group whose transaction took longer than this is logged: every request queued behind it
    /// waited too, and unlike a slow flush it is the gateway's own work (or the engine's: an index
    /// merge, a lock held by another writer), not the disk.
    public static let slowWrite: Duration = .milliseconds(50)
    private let onCommitted: @Sendable ([IngestItem], [IngestOutcome]) -> Void

    /// `onCommitted` runs after each group is durable (notifications); it must not block.
    public init(
        store: any InboundStore, policy: IngestPolicy, maxBatch: Int = 512, commitDelay: Duration = .zero, logger: Logger,
        onCommitted: @escaping @Sendable ([IngestItem], [IngestOutcome]) -> Void = { _, _ in }
    ) {
        self.store = store
        self.policy = policy
        self.maxBatch = maxBatch
        self.commitDelay = commitDelay
        self.logger = logger
        self.onCommitted = onCommitted
    }

    /// Requests waiting for the writer (not yet in a group).
    public var queuedRequests: Int { state.withLock { $0.queue.count } }

    /// Whether the writer holds a small group, waiting up to `commitDelay` for more.
    public var isGathering: Bool { state.withLock { $0.gatherer != nil } }

    /// Stores `items` with the next group; returns once they are committed and durable.
    public func submit(_ items: [IngestItem]) async throws -> [IngestOutcome] {
        guard !items.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                if let failure = state.failure {
                    continuation.resume(throwing: ServiceError.storageUnavailable(failure))
                    return nil
                }
                if state.closed {
                    continuation.resume(throwing: ServiceError.storageUnavailable("the gateway is shutting down"))
                    return nil
                }
                state.queue.append(Pending(items: items, continuation: continuation))
                if let gatherer = state.gatherer, state.queuedItems >= gatherer.needed {
                    state.gatherer = nil
                    return gatherer.continuation
                }
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// The writer and the syncer. On graceful shutdown it commits what is queued, then refuses new
    /// work; it throws ``SyncFailed`` when a flush failed (so the service group stops the gateway).
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                tasks.addTask { await self.writeLoop() }
                tasks.addTask { try await self.syncLoop() }
            }
        } onGracefulShutdown: {
            let (waiter, gatherer) = self.state.withLock { state in
                state.closed = true
                defer { (state.waiter, state.gatherer) = (nil, nil) }
                return (state.waiter, state.gatherer?.continuation)
            }
            waiter?.resume()
            gatherer?.resume()
        }
    }

    private func writeLoop() async {
        var lastRequests = 0
        while var group = await nextGroup() {
            let count = group.reduce(0) { $0 + $1.items.count }
            if commitDelay > .zero, lastRequests > 1, count < Self.gatheredEnough {
                await gather(Self.gatheredEnough - count)
                group += state.withLock { $0.take(upTo: maxBatch - count, atLeastOne: false) }
            }
            lastRequests = group.count
            await commit(group)
        }
        let syncer = state.withLock { state in
            state.writerDone = true
            defer { state.syncWaiter = nil }
            return state.syncWaiter
        }
        syncer?.resume()
    }

    /// Waits until `needed` more items are queued or `commitDelay` has passed, whichever comes first:
    /// a fixed sleep made the writer idle while a fast stream had long filled the group, so the queue
    /// built up behind it; ending the wait early lets `commitDelay` be long enough to gather a useful
    /// group at moderate rates.
    private func gather(_ needed: Int) async {
        let delay = commitDelay
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let round: UInt64? = state.withLock { state in
                if state.queuedItems >= needed || state.closed { return nil }
                state.round &+= 1
                state.gatherer = (c, needed, state.round)
                return state.round
            }
            guard let round else {
                c.resume()
                return
            }
            Task {
                try? await Task.sleep(for: delay)
                let timedOut = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard let gatherer = state.gatherer, gatherer.round == round else { return nil }
                    state.gatherer = nil
                    return gatherer.continuation
                }
                timedOut?.resume()
            }
        }
    }

    private func syncLoop() async throws {
        while let batch = await nextCommitted() {
            do {
                try await timed(
                    flushTimes, warnAt: Self.slowFlush,
                    "flushing committed messages to disk was slow; their channels' answers waited for it", count: ("groups", batch.count)
                ) { try await store.syncCommitted() }
            } catch StoreError.unavailable(let why) {
                // The engine could not tell whether the flush happened (a lost connection): those
                // callers get a 503 and their channels retry; idempotency keeps out what did land.
                logger.error("flushing committed messages failed; their channels will retry", metadata: ["error": "\(why)"])
                for pending in batch.flatMap(\.group) {
                    pending.continuation.resume(throwing: ServiceError.storageUnavailable("storage unavailable: \(why)"))
                }
                continue
            } catch {
                let reason = "storage failed to flush committed messages to disk: \(error)"
                logger.critical("ingest stopped: restart the gateway so the database recovers", metadata: ["error": "\(error)"])
                fail(reason, committed: batch)
                throw SyncFailed(description: reason)
            }
            syncedGroups.record(batch.count)
            for committed in batch {
                var offset = 0
                for pending in committed.group {
                    pending.continuation.resume(returning: Array(committed.outcomes[offset..<offset + pending.items.count]))
                    offset += pending.items.count
                }
                onCommitted(committed.items, committed.outcomes)
            }
        }
    }

    /// Refuses everything waiting (committed but not durable, and queued): their callers get a 503 and
    /// the channel retries, idempotency keeping out what did reach the disk.
    private func fail(_ reason: String, committed batch: [Committed]) {
        let (queued, committed, waiter) = state.withLock { state in
            state.failure = reason
            state.closed = true
            defer { (state.queue, state.committed, state.waiter) = ([], [], nil) }
            return (state.queue, state.committed, state.waiter)
        }
        for pending in queued + (batch + committed).flatMap(\.group) {
            pending.continuation.resume(throwing: ServiceError.storageUnavailable(reason))
        }
        waiter?.resume()
    }

    /// Runs `work`, records how long it took in `timer`, and logs `warning` (with `took_ms` and `count`)
    /// when that was `slow` or more.
    private func timed<T>(
        _ timer: Timer, warnAt slow: Duration, _ warning: Logger.Message, count: (name: String, value: Int),
        _ work: () async throws -> T
    ) async rethrows -> T {
        let started = ContinuousClock.now
        let result = try await work()
        let took = ContinuousClock.now - started
        timer.recordSeconds(took.seconds)
        if took >= slow {
            logger.warning(warning, metadata: ["took_ms": "\(took.wholeMilliseconds)", count.name: "\(count.value)"])
        }
        return result
    }

    /// Waits for queued work; nil once closed and drained.
    private func nextGroup() async -> [Pending]? {
        while true {
            enum Next {
                case group([Pending])
                case done, wait
            }
            let next: Next = state.withLock { state in
                if !state.queue.isEmpty { return .group(state.take(upTo: maxBatch, atLeastOne: true)) }
                return state.closed ? .done : .wait
            }
            switch next {
            case .group(let g): return g
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if !state.queue.isEmpty || state.closed { return true }
                        state.waiter = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    /// Waits for committed groups; nil once the writer has stopped and everything was flushed.
    private func nextCommitted() async -> [Committed]? {
        while true {
            let next: [Committed]?? = state.withLock { state in
                if !state.committed.isEmpty {
                    defer { state.committed = [] }
                    return .some(state.committed)
                }
                return state.writerDone || state.failure != nil ? .some(nil) : nil
            }
            if let next { return next }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if !state.committed.isEmpty || state.writerDone || state.failure != nil { return true }
                    state.syncWaiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    private func commit(_ group: [Pending]) async {
        let items = group.flatMap(\.items)
        batchSizes.record(items.count)
        do {
            let outcomes = try await timed(
                writeTimes, warnAt: Self.slowWrite, "writing an ingest group was slow; the requests queued behind it waited for it",
                count: ("messages", items.count)
            ) { try await store.ingestCommittingLater(items, policy: policy) }
            let (syncer, refused) = state.withLock { state -> (CheckedContinuation<Void, Never>?, String?) in
                if let failure = state.failure { return (nil, failure) }
                state.committed.append(Committed(group: group, items: items, outcomes: outcomes))
                defer { state.syncWaiter = nil }
                return (state.syncWaiter, nil)
            }
            if let refused {
                for pending in group { pending.continuation.resume(throwing: ServiceError.storageUnavailable(refused)) }
            }
            syncer?.resume()
        } catch  where group.count > 1 {
            // One bad request must not fail its neighbours: retry each request in its own transaction.
            logger.warning("group commit failed, retrying requests one by one", metadata: ["error": "\(error)"])
            for pending in group { await commit([pending]) }
        } catch {
            logger.error("ingest failed", metadata: ["error": "\(error)"])
            group[0].continuation.resume(throwing: ServiceError.storageUnavailable("storage failed: \(error)"))
        }
    }
}
