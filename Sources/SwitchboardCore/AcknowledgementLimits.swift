import Foundation
import Synchronization

/// How many acknowledgements may go to one address and to one domain in a window. An
/// acknowledgement answers whoever wrote, so without limits anyone who can write to the business
/// could make it mail a victim (or a whole company) again and again with the stranger's subject and
/// name. Counted per gateway process; a cluster's limit is this times its gateways.
public struct AcknowledgementLimits: Sendable, Equatable {
    public var perRecipient: Int
    public var recipientWindow: Duration
    public var perDomain: Int
    public var domainWindow: Duration

    /// Four a day to one address (a customer who comes back after the quiet period gets theirs), 300
    /// an hour to one domain (a big shop's customers at one mail provider stay well within).
    public init(perRecipient: Int = 4, recipientWindow: Duration = .seconds(86_400), perDomain: Int = 300, domainWindow: Duration = .seconds(3_600)) {
        self.perRecipient = perRecipient
        self.recipientWindow = recipientWindow
        self.perDomain = perDomain
        self.domainWindow = domainWindow
    }
}

/// Counts the acknowledgements sent, in fixed windows per key.
final class AcknowledgementCounter: Sendable {
    private struct Window {
        var start: Date
        var count: Int
    }
    private struct Windows {
        var byKey: [String: Window] = [:]
        /// A shop with 60,000 senders a day has more live windows than any fixed size to sweep at.
        var sweep = SweepMark(floor: 50_000)
    }
    private let windows = Mutex(Windows())
    let limits: AcknowledgementLimits

    init(limits: AcknowledgementLimits) { self.limits = limits }

    /// Takes one acknowledgement for `address` (and its domain, for e-mail addresses) when both are
    /// below their limits; false when either is spent. Addresses are compared case-insensitively.
    func take(address: String, now: Date) -> Bool {
        let recipient = "a:" + address.lowercased()
        let domain = address.lastIndex(of: "@").map { "d:" + address[address.index(after: $0)...].lowercased() }
        return windows.withLock { state in
            let longest = max(limits.recipientWindow, limits.domainWindow).seconds
            state.sweep.sweepIfDue(&state.byKey) { now.timeIntervalSince($0.start) < longest }
            func spent(_ key: String, _ limit: Int, _ window: Duration) -> Bool {
                guard let w = state.byKey[key], now.timeIntervalSince(w.start) < window.seconds else { return false }
                return w.count >= limit
            }
            func count(_ key: String, _ window: Duration) {
                if let w = state.byKey[key], now.timeIntervalSince(w.start) < window.seconds {
                    state.byKey[key]!.count = w.count + 1
                } else {
                    state.byKey[key] = Window(start: now, count: 1)
                }
            }
            if spent(recipient, limits.perRecipient, limits.recipientWindow) { return false }
            if let domain, spent(domain, limits.perDomain, limits.domainWindow) { return false }
            count(recipient, limits.recipientWindow)
            if let domain { count(domain, limits.domainWindow) }
            return true
        }
    }

    /// How many addresses and domains are counted now (expired ones included until the next sweep).
    var keysHeld: Int { windows.withLock { $0.byKey.count } }
    /// How many times expired windows were swept out.
    var sweeps: Int { windows.withLock { $0.sweep.sweeps } }
}
