import Foundation
import SwitchboardCore
import Synchronization

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
    /// Second-factor codes (TOTP or recovery), counted once the password was right: per address like
    /// passwords, and per account more tightly, since whoever gets here knows the password.
    static let codePerSource = AttemptThrottle.Rule(allowance: 5, interval: 60)
    static let codePerAccount = AttemptThrottle.Rule(allowance: 10, interval: 120)
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

    /// A right password whose sign-in still needs a code: the password attempt comes back (it was
    /// no guess), but the source is not yet one the agent signed in from.
    func passwordRight(source: String, now: Date) {
        attempts.refund("password " + source, rule: Self.passwordPerSource, now: now)
    }

    /// Reserves a second-factor attempt for `source` against `account`; the wait when none is left.
    func reserveCode(source: String, account: String, now: Date) -> TimeInterval? {
        attempts.reserve([("code " + source, Self.codePerSource), ("code-account " + account, Self.codePerAccount)], now: now)
    }

    /// The code was right: both its attempts come back.
    func codeSucceeded(source: String, account: String, now: Date) {
        attempts.refund("code " + source, rule: Self.codePerSource, now: now)
        attempts.refund("code-account " + account, rule: Self.codePerAccount, now: now)
    }

    private func isKnown(source: String, account: String, now: Date) -> Bool {
        knownSources.withLock { known in
            known[account]?[source].map { now.timeIntervalSince($0) < Self.knownSourceLifetime } ?? false
        }
    }
}
