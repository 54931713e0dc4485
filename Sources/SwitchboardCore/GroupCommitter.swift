import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Commits inbound messages in groups: while one transaction is being written, new arrivals queue,
/// and the next transaction takes all of them. No caller is answered before its commit, and at low
/// load a message is written at once (no timer), so batching costs no latency.
public final class GroupCommitter: Service, Sendable {
    private struct Pending {
        var items: [IngestItem]
        var continuation: CheckedContinuation<[IngestOutcome], any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let store: any InboundStore
    private let policy: IngestPolicy
    private let maxBatch: Int
    private let logger: Logger
    private let state = Mutex(State())
    private let batchSizes = Recorder(label: "switchboard_ingest_batch_size")
    private let onCommitted: @Sendable ([IngestItem], [IngestOutcome]) -> Void

    /// `onCommitted` runs after each commit (notifications); it must not block.
    public init(
        store: any InboundStore, policy: IngestPolicy, maxBatch: Int = 512, logger: Logger,
        onCommitted: @escaping @Sendable ([IngestItem], [IngestOutcome]) -> Void = { _, _ in }
    ) {
        self.store = store
        self.policy = policy
        self.maxBatch = maxBatch
        self.logger = logger
        self.onCommitted = onCommitted
    }

    /// Stores `items` with the next group; returns once they are committed.
    public func submit(_ items: [IngestItem]) async throws -> [IngestOutcome] {
        guard !items.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                if state.closed {
                    continuation.resume(throwing: ServiceError.storageUnavailable("the gateway is shutting down"))
                    return nil
                }
                state.queue.append(Pending(items: items, continuation: continuation))
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// The writer loop. On graceful shutdown it commits what is queued, then refuses new work.
    public func run() async throws {
        await withGracefulShutdownHandler {
            while let group = await nextGroup() {
                await commit(group)
            }
        } onGracefulShutdown: {
            let waiter = self.state.withLock { state in
                state.closed = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// Waits for queued work; nil once closed and drained.
    private func nextGroup() async -> [Pending]? {
        while true {
            enum Next {
                case group([Pending])
                case done, wait
            }
            let next: Next = state.withLock { state in
                if !state.queue.isEmpty {
                    var count = 0
                    var taken = 0
                    while taken < state.queue.count, count < maxBatch || taken == 0 {
                        count += state.queue[taken].items.count
                        taken += 1
                    }
                    let group = Array(state.queue.prefix(taken))
                    state.queue.removeFirst(taken)
                    return .group(group)
                }
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

    private func commit(_ group: [Pending]) async {
        let items = group.flatMap(\.items)
        batchSizes.record(items.count)
        do {
            let outcomes = try await store.ingest(items, policy: policy)
            var offset = 0
            for pending in group {
                let slice = Array(outcomes[offset..<offset + pending.items.count])
                offset += pending.items.count
                pending.continuation.resume(returning: slice)
            }
            onCommitted(items, outcomes)
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
