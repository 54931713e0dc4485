import Foundation

/// One endpoint's circuit: closed (deliver), open after `threshold` failures in a row (nothing is
/// attempted until the cooldown ends, so events wait in the queue without using up their attempts),
/// then half-open (one attempt probes; success closes it, failure opens it again for twice as long,
/// up to ten cooldowns).
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        case closed, open
        case halfOpen = "half_open"
    }

    public let threshold: Int
    public let cooldown: Duration
    public private(set) var failures = 0
    public private(set) var openUntil: Date?
    private var opened = 0

    public init(threshold: Int, cooldown: Duration) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
    }

    public func state(at now: Date) -> State {
        guard let openUntil else { return .closed }
        return now < openUntil ? .open : .halfOpen
    }

    /// How many attempts may start now (0 while open, 1 to probe).
    public func allowance(at now: Date, concurrency: Int) -> Int {
        switch state(at: now) {
        case .closed: concurrency
        case .open: 0
        case .halfOpen: 1
        }
    }

    public mutating func succeeded() {
        failures = 0
        openUntil = nil
        opened = 0
    }

    public mutating func failed(at now: Date) {
        failures += 1
        guard failures >= threshold || openUntil != nil else { return }
        let factor = Double(1 << min(opened, 10))
        openUntil = now.addingTimeInterval(min(cooldown.seconds * factor, cooldown.seconds * 10))
        opened += 1
    }
}
