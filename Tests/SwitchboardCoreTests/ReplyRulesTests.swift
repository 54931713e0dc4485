import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import SwitchboardCore

@Suite struct ReplyRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func route(lastInboundHoursAgo hours: Double?) -> ReplyRoute {
        ReplyRoute(
            adapter: "wa", address: "+34600000000", threadRef: nil, inReplyTo: 1, inReplyToExternalID: "x",
            lastInboundAt: hours.map { now.addingTimeInterval(-$0 * 3600) })
    }

    func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let e as ServiceError { return e.code } catch { return "\(error)" }
    }

    @Test func enforcesTheReplyWindow() {
        let caps = AdapterCapabilities(replyWindow: .seconds(24 * 3600))
        #expect(code { try ReplyRules.check(text: "hi", route: route(lastInboundHoursAgo: 23), capabilities: caps, now: now) } == nil)
        #expect(
            code { try ReplyRules.check(text: "hi", route: route(lastInboundHoursAgo: 25), capabilities: caps, now: now) } == "outside_reply_window")
    }

    @Test func enforcesLengthInitiationAndRefusal() {
        #expect(
            code { try ReplyRules.check(text: "toolong", route: route(lastInboundHoursAgo: 1), capabilities: .init(maxTextLength: 3), now: now) }
                == "too_long")
        #expect(
            code { try ReplyRules.check(text: "hi", route: route(lastInboundHoursAgo: nil), capabilities: .init(canInitiate: false), now: now) }
                == "cannot_initiate")
        #expect(
            code { try ReplyRules.check(text: "hi", route: route(lastInboundHoursAgo: nil), capabilities: .init(canInitiate: true), now: now) } == nil
        )
        #expect(
            code {
                try ReplyRules.check(text: "hi", route: route(lastInboundHoursAgo: 1), capabilities: .init(replyRefusal: "call them back"), now: now)
            } == "channel_cannot_reply")
    }

    @Test func backoffDoublesUpToTheCap() {
        let settings = DeliverySettings(firstRetry: .seconds(2), maxBackoff: .seconds(10))
        #expect((1...5).map { settings.backoff(afterFailures: $0, jitter: 0) } == [2, 4, 8, 10, 10])
    }

    @Test func rateLimiterSpacesSlotsPerKey() {
        let limiter = RateLimiter()
        let waits = (0..<4).map { _ in limiter.reserve("wa", rate: 2, now: now) }
        #expect(waits == [0, 0.5, 1.0, 1.5])
        #expect(limiter.reserve("other", rate: 2, now: now) == 0)
    }
}
