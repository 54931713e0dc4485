import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardSQLite
import Testing

@Suite struct BusinessHoursTests {
    let madrid = TimeZone(identifier: "Europe/Madrid")!

    func hours(_ lines: [String], holidays: Set<String> = []) -> BusinessHours {
        let shifts = lines.map { line -> Schedule.Shift in
            guard case .success(let shift) = Schedule.parseShift(line) else { fatalError(line) }
            return shift
        }
        return BusinessHours(schedule: Schedule(shifts: shifts, timeZone: madrid), holidays: holidays)
    }

    func date(_ text: String) -> Date {
        let f = ISO8601DateFormatter()
        return f.date(from: text)!
    }

    @Test func aFridayEveningMessageIsDueAfterTheWeekend() {
        let office = hours(["mon-fri 09:00-17:00"])
        // Friday 2026-11-27 18:00 Madrid (17:00Z): closed; 4 h of open time → Monday 13:00 Madrid.
        #expect(office.deadline(from: date("2026-11-27T17:00:00Z"), adding: .seconds(4 * 3600)) == date("2026-11-30T12:00:00Z"))
        // Inside hours the clock simply runs: Tuesday 10:00 + 2 h = 12:00.
        #expect(office.deadline(from: date("2026-12-01T09:00:00Z"), adding: .seconds(2 * 3600)) == date("2026-12-01T11:00:00Z"))
        // Spanning the close: Tuesday 16:00 + 2 h = Wednesday 10:00.
        #expect(office.deadline(from: date("2026-12-01T15:00:00Z"), adding: .seconds(2 * 3600)) == date("2026-12-02T09:00:00Z"))
        #expect(!office.isOpen(at: date("2026-11-28T11:00:00Z")))
        #expect(office.isOpen(at: date("2026-11-30T11:00:00Z")))
    }

    @Test func holidaysAndSplitHoursAreSkipped() {
        let office = hours(["mon-fri 09:00-14:00", "mon-fri 16:00-19:00"], holidays: ["2026-12-08"])
        // Monday 7 Dec 18:00 Madrid + 3 h: one hour that evening, Tuesday 8 is a holiday, two more on Wednesday from 09:00.
        #expect(office.deadline(from: date("2026-12-07T17:00:00Z"), adding: .seconds(3 * 3600)) == date("2026-12-09T10:00:00Z"))
        // 13:00 + 2 h: one before the lunch break, one after it.
        #expect(office.deadline(from: date("2026-12-09T12:00:00Z"), adding: .seconds(2 * 3600)) == date("2026-12-09T16:00:00Z"))
    }

    @Test func alwaysOpenIsWallClockTime() {
        let start = date("2026-11-28T03:00:00Z")
        #expect(BusinessHours.always.deadline(from: start, adding: .seconds(90)) == start.addingTimeInterval(90))
    }

    @Test func answeredConversationsRunTheNextResponseClockAndPendingStopsThem() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        var policy = TestAgents.policy
        policy.nextResponse = { _ in .seconds(600) }
        policy.resolution = { _ in .seconds(86400) }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await t.store.ingest([inbound("1", from: "ivy@x", at: t0)], policy: policy)[0]
        let id = try #require(first.conversationID)
        var detail = try #require(try await t.store.conversation(id))
        #expect(detail.firstResponseDue == t0.addingTimeInterval(3600))
        #expect(detail.resolutionDue == t0.addingTimeInterval(86400))

        let route = try #require(try await t.store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await t.store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: t0.addingTimeInterval(60))
        _ = try await t.store.ingest([inbound("2", from: "ivy@x", at: t0.addingTimeInterval(120))], policy: policy)
        detail = try #require(try await t.store.conversation(id))
        #expect(detail.firstResponseDue == t0.addingTimeInterval(120 + 600))  // next_response, not first_response

        _ = try await t.store.setPending(conversation: id, true, by: "ana", at: t0.addingTimeInterval(3600))
        detail = try #require(try await t.store.conversation(id))
        #expect(detail.status == .pending && detail.firstResponseDue == nil && detail.resolutionDue == nil)
        let due = try await t.store.promisesDue(now: t0.addingTimeInterval(10 * 86400), staleAfter: nil, limit: 10)
        #expect(due.isEmpty)  // nothing runs while waiting on the customer

        // The customer answers two days later: open again, the resolution clock resumes with the 23 h left.
        let back = t0.addingTimeInterval(2 * 86400)
        _ = try await t.store.ingest([inbound("3", from: "ivy@x", at: back)], policy: policy)
        detail = try #require(try await t.store.conversation(id))
        #expect(detail.status == .open)
        #expect(detail.resolutionDue == back.addingTimeInterval(86400 - 3600))
        let overdue = try await t.store.promisesDue(now: back.addingTimeInterval(86400), staleAfter: nil, limit: 10)
        #expect(overdue.contains { $0.kind == .resolution })
    }
}
