import Foundation

/// The outbox's retry schedule and limits (`delivery:` in the configuration).
public struct DeliverySettings: Sendable, Equatable {
    /// Wait before the first retry; each later retry waits twice as long, up to `maxBackoff`.
    public var firstRetry: Duration
    public var maxBackoff: Duration
    /// Attempts before a reply is dead-lettered as `failed`.
    public var maxAttempts: Int
    /// Deliveries in flight at once, all adapters together.
    public var concurrency: Int
    /// How long a claimed delivery stays reserved for the gateway that claimed it.
    public var lease: Duration

    public init(
        firstRetry: Duration = .seconds(2), maxBackoff: Duration = .seconds(300), maxAttempts: Int = 8,
        concurrency: Int = 32, lease: Duration = .seconds(120)
    ) {
        self.firstRetry = firstRetry
        self.maxBackoff = maxBackoff
        self.maxAttempts = maxAttempts
        self.concurrency = concurrency
        self.lease = lease
    }

    /// The wait after the `failures`-th failed attempt: first, 2×, 4× … capped, with ±10 % jitter so
    /// that many replies failing together do not retry in lockstep.
    public func backoff(afterFailures failures: Int, jitter: Double = Double.random(in: -0.1...0.1)) -> TimeInterval {
        let base = firstRetry.seconds * pow(2, Double(max(0, failures - 1)))
        return min(base, maxBackoff.seconds) * (1 + jitter)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in whole milliseconds (for logs).
    public var wholeMilliseconds: Int { Int(seconds * 1000) }
}
