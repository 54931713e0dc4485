import Foundation
import SwitchboardCore
import Testing

@Suite struct AttemptThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let perSource = AttemptThrottle.Rule(allowance: 5, interval: 60)
    let perAccount = AttemptThrottle.Rule(allowance: 20, interval: 60)

    @Test func fortyParallelAttemptsReserveFive() async {
        let throttle = AttemptThrottle()
        let start = self.start
        let rule = perSource
        let reserved = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 { group.addTask { throttle.reserve([("source", rule)], now: start) == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(reserved == 5)
    }

    @Test func drainsOneAttemptPerIntervalAndSaysHowLongToWait() {
        let throttle = AttemptThrottle()
        for _ in 0..<5 { #expect(throttle.reserve([("s", perSource)], now: start) == nil) }
        #expect(throttle.reserve([("s", perSource)], now: start) == 60)
        #expect(throttle.reserve([("s", perSource)], now: start.addingTimeInterval(30)) == 30)
        #expect(throttle.reserve([("s", perSource)], now: start.addingTimeInterval(60)) == nil)
        #expect(throttle.reserve([("s", perSource)], now: start.addingTimeInterval(61)) != nil)
    }

    @Test func allKeysOrNone() {
        let throttle = AttemptThrottle()
        for n in 0..<4 {
            for _ in 0..<5 { #expect(throttle.reserve([("source \(n)", perSource), ("account", perAccount)], now: start) == nil) }
        }
        // The account is full: a fresh source is refused and keeps its allowance untouched.
        #expect(throttle.reserve([("source new", perSource), ("account", perAccount)], now: start) != nil)
        for _ in 0..<5 { #expect(throttle.reserve([("source new", perSource)], now: start) == nil) }
    }

    @Test func refundsAndClears() {
        let throttle = AttemptThrottle()
        for _ in 0..<5 { #expect(throttle.reserve([("s", perSource)], now: start) == nil) }
        throttle.refund("s", rule: perSource, now: start)
        #expect(throttle.reserve([("s", perSource)], now: start) == nil)
        #expect(throttle.reserve([("s", perSource)], now: start) != nil)
        throttle.clear("s")
        #expect(throttle.reserve([("s", perSource)], now: start) == nil)
    }

    @Test func prunesDrainedKeysOnly() {
        let throttle = AttemptThrottle(pruneAbove: 10)
        for n in 0..<20 { _ = throttle.reserve([("old \(n)", perSource)], now: start) }
        for _ in 0..<5 { _ = throttle.reserve([("busy", perSource)], now: start.addingTimeInterval(500)) }
        // Pruning (the old keys drained long ago) must not forget the busy one.
        #expect(throttle.reserve([("busy", perSource)], now: start.addingTimeInterval(500)) != nil)
    }
}
