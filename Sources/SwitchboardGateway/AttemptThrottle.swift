import Foundation
import Synchronization

/// Counts failed attempts (wrong passwords, wrong tokens) per key in a leaky bucket: `allowance`
/// attempts at once, then one more each `interval` as the bucket drains.
///
/// An attempt is *reserved* before it is checked, for all of its keys at once under one lock, so
/// that forty guesses sent in parallel cannot all pass the check before the first failure is
/// counted. A successful attempt gives its reservation back.
final class AttemptThrottle: Sendable {
    /// How many attempts a key may make at once, and how fast it earns another.
    struct Rule: Sendable {
        var allowance: Double
        var interval: TimeInterval
    }

    private struct Bucket {
        var level: Double
        var updated: Date
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    /// Entries kept before drained ones are dropped (each drains within `allowance * interval`).
    private let pruneAbove: Int

    init(pruneAbove: Int = 50_000) {
        self.pruneAbove = pruneAbove
    }

    /// Reserves one attempt under every key, or none. Returns nil when reserved, else how long
    /// until the fullest of the keys has room again.
    func reserve(_ keys: [(key: String, rule: Rule)], now: Date) -> TimeInterval? {
        buckets.withLock { buckets in
            if buckets.count > pruneAbove { Self.prune(&buckets, now: now, rules: keys.map(\.rule)) }
            var wait: TimeInterval = 0
            var levels: [Double] = []
            for (key, rule) in keys {
                let level = Self.drained(buckets[key], rule: rule, now: now)
                levels.append(level)
                if level + 1 > rule.allowance { wait = max(wait, (level + 1 - rule.allowance) * rule.interval) }
            }
            guard wait == 0 else { return wait }
            for ((key, _), level) in zip(keys, levels) {
                buckets[key] = Bucket(level: level + 1, updated: now)
            }
            return nil
        }
    }

    /// Gives back one reserved attempt (it succeeded, so it was no guess).
    func refund(_ key: String, rule: Rule, now: Date) {
        buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return }
            buckets[key] = Bucket(level: max(0, Self.drained(bucket, rule: rule, now: now) - 1), updated: now)
        }
    }

    /// Forgets every failure of `key` (the account's owner signed in).
    func clear(_ key: String) {
        _ = buckets.withLock { $0.removeValue(forKey: key) }
    }

    private static func drained(_ bucket: Bucket?, rule: Rule, now: Date) -> Double {
        guard let bucket else { return 0 }
        return max(0, bucket.level - max(0, now.timeIntervalSince(bucket.updated)) / rule.interval)
    }

    /// Drops buckets that have drained empty under the slowest of the rules in use.
    private static func prune(_ buckets: inout [String: Bucket], now: Date, rules: [Rule]) {
        let slowest = rules.map { $0.allowance * $0.interval }.max() ?? 0
        buckets = buckets.filter { now.timeIntervalSince($0.value.updated) < slowest }
    }
}

/// The throttles of one gateway: failed bearer tokens and failed console sign-ins.
///
/// Sign-ins are limited twice. Per source address, a few failures at once and then one a minute:
/// this is what stops a guesser, and it is tighter than the account's limit, so one stranger can
/// never use up an account's allowance and lock its owner out. Per account (known or not: an
/// unknown agent id is counted and answered exactly like a known one), a larger allowance across
/// all addresses slows a guesser spread over many addresses. Addresses the agent signed in from
/// successfully are exempt from the account's limit (never from their own), so even then the
/// owner, at their usual address, still gets in.
public final class AuthThrottle: Sendable {
    static let bearerPerSource = AttemptThrottle.Rule(allowance: 20, interval: 3)
    static let passwordPerSource = AttemptThrottle.Rule(allowance: 5, interval: 60)
    static let passwordPerAccount = AttemptThrottle.Rule(allowance: 20, interval: 60)
    /// Addresses remembered per agent as ones they signed in from.
    static let knownSourcesPerAgent = 16
    static let knownSourceLifetime: TimeInterval = 30 * 24 * 3600

    let attempts = AttemptThrottle()
    private let knownSources = Mutex<[String: [String: Date]]>([:])

    public init() {}

    /// Reserves a bearer-token attempt for `source`; the wait when it has none left.
    func reserveBearer(source: String, now: Date) -> TimeInterval? {
        attempts.reserve([("bearer " + source, Self.bearerPerSource)], now: now)
    }

    /// A bearer token that was valid gives its attempt back.
    func bearerSucceeded(source: String, now: Date) {
        attempts.refund("bearer " + source, rule: Self.bearerPerSource, now: now)
    }

    /// Reserves a password attempt for `source` against `account` (whatever was typed, known or not).
    func reservePassword(source: String, account: String, now: Date) -> TimeInterval? {
        var keys = [("password " + source, Self.passwordPerSource)]
        if !isKnown(source: source, account: account, now: now) { keys.append(("account " + account, Self.passwordPerAccount)) }
        return attempts.reserve(keys, now: now)
    }

    /// The password was right: the source's attempt comes back, the account's failures are
    /// forgotten, and the source becomes one the account's limit never applies to.
    func passwordSucceeded(source: String, account: String, now: Date) {
        attempts.refund("password " + source, rule: Self.passwordPerSource, now: now)
        attempts.clear("account " + account)
        knownSources.withLock { known in
            var sources = known[account, default: [:]].filter { now.timeIntervalSince($0.value) < Self.knownSourceLifetime }
            sources[source] = now
            if sources.count > Self.knownSourcesPerAgent, let oldest = sources.min(by: { $0.value < $1.value }) {
                sources.removeValue(forKey: oldest.key)
            }
            known[account] = sources
        }
    }

    private func isKnown(source: String, account: String, now: Date) -> Bool {
        knownSources.withLock { known in
            known[account]?[source].map { now.timeIntervalSince($0) < Self.knownSourceLifetime } ?? false
        }
    }
}
