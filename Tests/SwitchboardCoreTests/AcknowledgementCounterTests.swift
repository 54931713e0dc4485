import Foundation
import Testing

@testable import SwitchboardCore

/// The acknowledgement limits' counts stay cheap and bounded with many senders.
@Suite struct AcknowledgementCounterTests {
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
