import Foundation

/// One `webhooks:` entry: an integration that receives events, signed, from the durable queue.
public struct WebhookEndpoint: Sendable {
    public var id: String
    public var url: String
    /// The signing secret (from `secret_env`).
    public var secret: String
    /// The event names it takes (`*`: all); rules' `webhook:` actions reach it whatever these are.
    public var events: Set<String>
    /// One attempt, connect included, must finish within this.
    public var timeout: Duration
    /// Attempts before an event is dead-lettered as `failed`.
    public var maxAttempts: Int
    public var firstRetry: Duration
    public var maxBackoff: Duration
    /// An event not delivered this long after it was queued is dead-lettered (while the endpoint is down).
    public var giveUpAfter: Duration
    /// Failures in a row that open the circuit, and how long it stays open before one attempt probes it.
    public var breakerFailures: Int
    public var breakerCooldown: Duration
    /// Conversations delivered at once (each conversation's events one at a time, in order).
    public var concurrency: Int

    public init(
        id: String, url: String, secret: String, events: Set<String>, timeout: Duration = .seconds(10), maxAttempts: Int = 12,
        firstRetry: Duration = .seconds(5), maxBackoff: Duration = .seconds(600), giveUpAfter: Duration = .seconds(86400),
        breakerFailures: Int = 5, breakerCooldown: Duration = .seconds(30), concurrency: Int = 4
    ) {
        self.id = id
        self.url = url
        self.secret = secret
        self.events = events
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.firstRetry = firstRetry
        self.maxBackoff = maxBackoff
        self.giveUpAfter = giveUpAfter
        self.breakerFailures = breakerFailures
        self.breakerCooldown = breakerCooldown
        self.concurrency = concurrency
    }

    /// The wait after the `failures`-th failed attempt: doubling from `firstRetry` up to `maxBackoff`, ±10 %.
    public func backoff(afterFailures failures: Int, jitter: Double = Double.random(in: -0.1...0.1)) -> TimeInterval {
        let base = firstRetry.seconds * pow(2, Double(max(0, failures - 1)))
        return min(base, maxBackoff.seconds) * (1 + jitter)
    }
}
