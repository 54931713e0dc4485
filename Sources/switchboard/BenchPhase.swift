import Foundation
import NIOCore

/// Hands out request indices to the connections in order.
///
/// A shared cursor (rather than a fixed share per connection) keeps every connection busy until the
/// very end, and in open-loop mode it makes requests leave in schedule order whichever connection is free.
final class BenchCursor: @unchecked Sendable {
    // @unchecked: `next` is only read and written under `lock`. With `--threads 1` the lock is never contended.
    private let lock = NSLock()
    private var next: Int
    private let end: Int

    /// A cursor over `range`.
    init(_ range: Range<Int>) {
        next = range.lowerBound
        end = range.upperBound
    }

    /// The next index to send, or nil when the phase has handed out everything.
    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < end else { return nil }
        next += 1
        return next - 1
    }
}

/// One timed pass over a range of requests (the warm-up or the measured run).
final class BenchPhase: Sendable {
    /// All prepared requests of the run; the phase uses `range` of them.
    let requests: [BenchRequest]
    let range: Range<Int>
    let cursor: BenchCursor
    /// When the phase started: the base of the open-loop schedule and of the elapsed time.
    let start: NIODeadline
    /// Nanoseconds between scheduled sends in open-loop mode; nil for closed loop.
    let intervalNanos: Double?
    /// False for the warm-up: its latencies are not kept.
    let recordLatencies: Bool

    init(requests: [BenchRequest], range: Range<Int>, rate: Double?, recordLatencies: Bool) {
        self.requests = requests
        self.range = range
        self.cursor = BenchCursor(range)
        self.start = .now()
        self.intervalNanos = rate.map { 1e9 / $0 }
        self.recordLatencies = recordLatencies
    }

    /// When request `index` is due in open-loop mode (nil: send at once).
    ///
    /// Latency is measured from this time, not from the actual send, so a stalled server is charged for
    /// the requests it kept waiting (no coordinated omission).
    func scheduledTime(of index: Int) -> NIODeadline? {
        guard let intervalNanos else { return nil }
        return start + .nanoseconds(Int64((Double(index - range.lowerBound) * intervalNanos).rounded()))
    }
}
