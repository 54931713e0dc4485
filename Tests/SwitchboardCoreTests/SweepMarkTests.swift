import Foundation
import Testing

@testable import SwitchboardCore

/// In-memory per-key limits (acknowledgements, delivery pacing, sign-in attempts) stay cheap and
/// bounded however many keys are live.
@Suite struct SweepMarkTests {
    @Test func aSweepIsDueAtTheFloorAndThenEachTimeTheKeysDouble() {
        var mark = SweepMark(floor: 100)
        #expect(!mark.due(99))
        #expect(mark.due(100))
        mark.swept(leaving: 100)  // all still live
        #expect(!mark.due(199))
        #expect(mark.due(200))
        mark.swept(leaving: 10)  // most expired: back to the floor, not below it
        #expect(!mark.due(99))
        #expect(mark.due(100))
        #expect(mark.sweeps == 2)
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
