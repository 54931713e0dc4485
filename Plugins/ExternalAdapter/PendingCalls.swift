import Synchronization

/// Questions sent to the process that wait for its answer (`deliver` → `delivered`/`failed`,
/// `request` → `response`), keyed by id. Every waiter is resumed exactly once: by the answer, by
/// its timeout, by cancellation, or when the process ends.
final class PendingCalls<Answer: Sendable>: Sendable {
    private struct State {
        var waiting: [Int64: CheckedContinuation<Answer, any Error>] = [:]
        /// Set once the process has ended: later questions fail at once with this.
        var closed: (any Error)?
    }

    private let state = Mutex(State())

    /// Registers `id`, then calls `send` (which writes the question and says whether it could), and
    /// waits up to `timeout` for ``answer(_:with:)``.
    func call(
        _ id: Int64, timeout: Duration, timeoutError: any Error, notSent: any Error, send: @escaping @Sendable () -> Bool
    ) async throws -> Answer {
        try await withThrowingTaskGroup(of: Answer.self) { group in
            group.addTask { try await self.wait(id, notSent: notSent, send: send) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw timeoutError
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    private func wait(_ id: Int64, notSent: any Error, send: @escaping @Sendable () -> Bool) async throws -> Answer {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Answer, any Error>) in
                // Checked under the lock that the cancellation handler takes too, so a cancellation
                // either sees the entry or is seen here: nobody waits forever.
                let (refusal, replaced) = state.withLock { s -> ((any Error)?, CheckedContinuation<Answer, any Error>?) in
                    if let closed = s.closed { return (closed, nil) }
                    if Task.isCancelled { return (CancellationError(), nil) }
                    return (nil, s.waiting.updateValue(continuation, forKey: id))
                }
                // The same id asked twice (a retry while the first attempt still waits): the older
                // waiter gives up, the newer one gets the answer.
                replaced?.resume(throwing: CancellationError())
                if let refusal {
                    continuation.resume(throwing: refusal)
                } else if !send() {
                    fail(id, with: notSent)
                }
            }
        } onCancel: {
            fail(id, with: CancellationError())
        }
    }

    /// Hands the answer to whoever waits for `id`; false if nobody does (it timed out already).
    @discardableResult
    func answer(_ id: Int64, with value: Answer) -> Bool {
        guard let waiter = state.withLock({ $0.waiting.removeValue(forKey: id) }) else { return false }
        waiter.resume(returning: value)
        return true
    }

    func fail(_ id: Int64, with error: any Error) {
        state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: error)
    }

    /// Fails every waiter, and every later question, with `error`.
    func close(with error: any Error) {
        let waiters = state.withLock { s in
            s.closed = s.closed ?? error
            defer { s.waiting = [:] }
            return Array(s.waiting.values)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}
