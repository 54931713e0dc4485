import Dispatch

/// Runs blocking work (a pipe or socket read, waiting for a child process) on a thread of its own and
/// awaits its result. Not on `DispatchQueue.global()`: on Linux that is the pool Swift concurrency
/// runs on (as wide as the cores), and parallel tests blocking there starve each other and the
/// servers they test.
public func offThePool<T: Sendable>(_ label: String = "test-blocking", _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue(label: label).async { continuation.resume(returning: work()) }
    }
}
