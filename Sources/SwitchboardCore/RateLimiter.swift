import Foundation
import Synchronization

/// Paces deliveries so that a channel's rate limits are respected: each key gets evenly spaced
/// slots; a caller is told how long to wait for its slot.
final class RateLimiter: Sendable {
    private struct Slots {
        var next: [String: Date] = [:]
        var sweep = SweepMark(floor: 10_000)
    }
    private let slots = Mutex(Slots())

    /// Reserves the next slot for `key` at `rate` per second; returns the wait until it.
    func reserve(_ key: String, rate: Double, now: Date) -> TimeInterval {
        guard rate > 0 else { return 0 }
        return slots.withLock { slots in
            slots.sweep.sweepIfDue(&slots.next) { $0 > now }
            let slot = max(now, slots.next[key] ?? now)
            slots.next[key] = slot.addingTimeInterval(1 / rate)
            return slot.timeIntervalSince(now)
        }
    }
}

/// Counts failed attempts (wrong passwords, wrong tokens) per key in a leaky bucket: `allowance`
/// attempts at once, then one more each `interval` as the bucket drains.
///
/// An attempt is *reserved* before it is checked, for all of its keys at once under one lock, so
/// that forty guesses sent in parallel cannot all pass the check before the first failure is
/// counted. A successful attempt gives its reservation back.
public final class AttemptThrottle: Sendable {
    /// How many attempts a key may make at once, and how fast it earns another.
    public struct Rule: Sendable {
        public var allowance: Double
        public var interval: TimeInterval

        public init(allowance: Double, interval: TimeInterval) {
            self.allowance = allowance
            self.interval = interval
        }
    }

    private struct Bucket {
        var level: Double
        var updated: Date
    }

    private struct Buckets {
        var byKey: [String: Bucket] = [:]
        /// Drained buckets are dropped from `pruneAbove` keys on (each drains within `allowance *
        /// interval`); an attacker's made-up user names must not make every attempt scan them all.
        var sweep: SweepMark
    }
    private let buckets: Mutex<Buckets>

    public init(pruneAbove: Int = 50_000) {
        self.buckets = Mutex(Buckets(sweep: SweepMark(floor: pruneAbove)))
    }

    /// Reserves one attempt under every key, or none. Returns nil when reserved, else how long
    /// until the fullest of the keys has room again.
    public func reserve(_ keys: [(key: String, rule: Rule)], now: Date) -> TimeInterval? {
        buckets.withLock { state in
            // Drained buckets go: empty under the slowest of the rules in use.
            let slowest = keys.lazy.map { $0.rule.allowance * $0.rule.interval }.max() ?? 0
            state.sweep.sweepIfDue(&state.byKey) { now.timeIntervalSince($0.updated) < slowest }
            var wait: TimeInterval = 0
            var levels: [Double] = []
            for (key, rule) in keys {
                let level = Self.drained(state.byKey[key], rule: rule, now: now)
                levels.append(level)
                if level + 1 > rule.allowance { wait = max(wait, (level + 1 - rule.allowance) * rule.interval) }
            }
            guard wait == 0 else { return wait }
            for ((key, _), level) in zip(keys, levels) {
                state.byKey[key] = Bucket(level: level + 1, updated: now)
            }
            return nil
        }
    }

    /// Gives back one reserved attempt (it succeeded, so it was no guess).
    public func refund(_ key: String, rule: Rule, now: Date) {
        buckets.withLock { state in
            guard let bucket = state.byKey[key] else { return }
            state.byKey[key] = Bucket(level: max(0, Self.drained(bucket, rule: rule, now: now) - 1), updated: now)
        }
    }

    /// Forgets every failure of `key` (the account's owner signed in).
    public func clear(_ key: String) {
        _ = buckets.withLock { $0.byKey.removeValue(forKey: key) }
    }

    private static func drained(_ bucket: Bucket?, rule: Rule, now: Date) -> Double {
        guard let bucket else { return 0 }
        return max(0, bucket.level - max(0, now.timeIntervalSince(bucket.updated)) / rule.interval)
    }
}
