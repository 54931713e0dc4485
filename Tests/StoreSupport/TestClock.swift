import Foundation
import Synchronization

/// A clock the test moves by hand: no test sleeps to wait for a deadline.
public final class TestClock: Sendable {
    private let current: Mutex<Date>
    public init(_ start: Date) { current = Mutex(start) }
    public var now: Date { current.withLock { $0 } }
    public func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
