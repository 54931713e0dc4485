import Foundation
import SwitchboardAdapterAPI
import Testing

/// Dates in English words from outside (HTTP `Retry-After`, X's classic `created_at`), read without
/// Foundation's `DateFormatter`, which traps on some non-ASCII input.
@Suite struct TextDateTests {
    static let nov6 = Date(timeIntervalSince1970: 784_111_777)  // 1994-11-06 08:49:37 UTC

    @Test(arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "sun, 06 nov 1994 08:49:37 GMT"])
    func theThreeHTTPDateFormsAreRead(_ text: String) {
        #expect(Timestamps.parseHTTPDate(text) == Self.nov6)
    }

    @Test func leapDaysAndCenturiesCount() {
        #expect(Timestamps.parseHTTPDate("Thu, 29 Feb 2024 00:00:00 GMT") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(Timestamps.parseHTTPDate("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(Timestamps.parseHTTPDate("Fri, 01 Jan 2100 00:00:00 GMT") == Date(timeIntervalSince1970: 4_102_444_800))
        #expect(Timestamps.parseHTTPDate("Thu, 01-Jan-70 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
    }

    @Test(arguments: [
        "", "GMT", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 31 Nov 1994 08:49:37 GMT",
        "Mon, 29 Feb 2100 00:00:00 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov -994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Wed, 21 Oct 2026 07:28:00\u{738}\u{FFFD}\u{FFFD}00", "Wed, 21 Oct 2026 07:28:00 GMT\u{1F600}", "Wed,\u{0} 21 Oct 2026 07:28:00 GMT",
        String(repeating: "Sun, 06 Nov 1994 08:49:37 GMT ", count: 100),
    ])
    func anythingElseIsNoDate(_ text: String) {
        #expect(Timestamps.parseHTTPDate(text) == nil)
    }

    @Test func xClassicDatesCarryTheirOffset() {
        #expect(Timestamps.parseClassicDate("Sun Nov 06 08:49:37 +0000 1994") == Self.nov6)
        #expect(Timestamps.parseClassicDate("Sun Nov 06 10:19:37 +0130 1994") == Self.nov6)
        #expect(Timestamps.parseClassicDate("Sun Nov 06 03:49:37 -0500 1994") == Self.nov6)
        #expect(Timestamps.parseClassicDate("Sun Nov 06 08:49:37 +0000 1994\u{1F600}") == nil)
        #expect(Timestamps.parseClassicDate("Sun Nov 06 08:49:37 0000 1994") == nil)
    }
}
