import Foundation
import Testing

@testable import SwitchboardCore

/// In-memory per-key limits (acknowledgements, delivery pacing, sign-in attempts) stay cheap and
/// bounded however many keys are live.
@Suite struct SweepMarkTests {
    @Test func aSweepIsDueAtTheFloorAndThenEachTimeTheKeysDouble() {
        var mark = SweepMark(floor: 100)
        var map: [String: Int] = [:]
        func fill(to count: Int, live: Bool) {
            while map.count < count { map["k\(map.count)-\(mark.sweeps)-\(live)"] = live ? 1 : 0 }
        }
        fill(to: 99, live: true)
        mark.sweepIfDue(&map) { $0 == 1 }
        #expect(mark.sweeps == 0 && map.count == 99)
        fill(to: 100, live: true)
        mark.sweepIfDue(&map) { $0 == 1 }  // at the floor: swept, all still live
        #expect(mark.sweeps == 1 && map.count == 100)
        fill(to: 199, live: false)
        mark.sweepIfDue(&map) { $0 == 1 }
        #expect(mark.sweeps == 1 && map.count == 199)  // not yet twice what the last sweep left
        fill(to: 200, live: false)
        mark.sweepIfDue(&map) { $0 == 1 }  // doubled: the expired go
        #expect(mark.sweeps == 2 && map.count == 100)
        fill(to: 199, live: false)
        mark.sweepIfDue(&map) { $0 == 1 }
        #expect(mark.sweeps == 2)
        fill(to: 200, live: false)
        mark.sweepIfDue(&map) { $0 == 1 }
        #expect(mark.sweeps == 3 && map.count == 100)
    }

    @Test func manySendersInOneWindowDoNotMakeEveryAcknowledgementSweepTheCounts() {
        // 60,000 people writing in a day is a big shop's ordinary day: the counts of expired
        // windows are swept once past 50,000 keys, not again at every acknowledgement after it.
        let counter = AcknowledgementCounter(
            limits: AcknowledgementLimits(perRecipient: 1, recipientWindow: .seconds(3600), perDomain: 300, domainWindow: .seconds(3600)))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for n in 0..<60_000 { #expect(counter.take(address: "+3461\(n)", now: now)) }
        #expect(counter.sweeps == 1)
        #expect(!counter.take(address: "+34610", now: now))  // a sweep keeps windows still running
        let later = now.addingTimeInterval(3601)
        #expect(counter.take(address: "+34610", now: later))
        for n in 0..<60_000 { _ = counter.take(address: "+3462\(n)", now: later) }
        #expect(counter.sweeps == 2)  // at 100,000 keys: the first day's 59,999 expired ones go
        #expect(counter.keysHeld == 60_001)
    }
}
