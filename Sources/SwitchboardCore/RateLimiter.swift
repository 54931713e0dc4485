import Foundation
import Synchronization

/// Paces deliveries so that a channel's rate limits are respected: each key gets evenly spaced
/// slots; a caller is told how long to wait for its slot.
final class RateLimiter: Sendable {
    private let next = Mutex<[String: Date]>([:])

    /// Reserves the next slot for `key` at `rate` per second; returns the wait until it.
    func reserve(_ key: String, rate: Double, now: Date) -> TimeInterval {
        guard rate > 0 else { return 0 }
        return next.withLock { next in
            if next.count > 10_000 { next = next.filter { $0.value > now } }
            let slot = max(now, next[key] ?? now)
            next[key] = slot.addingTimeInterval(1 / rate)
            return slot.timeIntervalSince(now)
        }
    }
}
