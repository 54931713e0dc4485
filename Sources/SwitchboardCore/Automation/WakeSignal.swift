import Synchronization

/// Wakes a polling loop early: ``wake()`` from anywhere, ``wait(upTo:)`` in the loop. A wake that
/// arrives while nobody waits is kept for the next wait.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func wake() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            defer { s.waiter = nil }
            if s.waiter == nil { s.pending = true }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Returns when woken, after `limit`, or when the task is cancelled.
    func wait(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: limit)
                self.wake()
            }
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = self.state.withLock { s -> Bool in
                        if s.pending {
                            s.pending = false
                            return true
                        }
                        s.waiter = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            // The side that lost still waits: release it, then forget the extra wake.
            self.wake()
            await group.waitForAll()
            self.state.withLock { $0.pending = false }
        }
    }
}
