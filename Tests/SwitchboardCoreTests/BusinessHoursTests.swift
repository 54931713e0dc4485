import Foundation
import SwitchboardCore
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
}
