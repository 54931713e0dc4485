import Foundation
import Synchronization

/// The time the services under test see, moved by the test: nothing waits for a deadline to pass.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Plans.now) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
