import Foundation

/// The hours in which promises run (`routing.business_hours`): opening hours in a time zone, minus
/// holidays. Outside them the response, resolution and call-back clocks stand still, so a message
/// on Friday evening is due by Monday's opening plus the promised time, not during the weekend.
public struct BusinessHours: Sendable, Equatable {
    /// Opening hours (`mon-fri 09:00-17:00`) and their time zone; no shifts means always open.
    public var schedule: Schedule
    /// Closed days, `yyyy-MM-dd` in the schedule's time zone.
    public var holidays: Set<String>

    public init(schedule: Schedule = .always, holidays: Set<String> = []) {
        self.schedule = schedule
        self.holidays = holidays
    }

    public static let always = BusinessHours()

    public var isAlwaysOpen: Bool { schedule.shifts.isEmpty && holidays.isEmpty }

    /// The moment at which `duration` of open time has passed since `start`. Days are walked one by
    /// one (at most two years ahead); on a daylight-saving change an hour may be counted short or long.
    public func deadline(from start: Date, adding duration: Duration) -> Date {
        let total = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        guard !isAlwaysOpen else { return start.addingTimeInterval(total) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = schedule.timeZone
        var remaining = total
        var cursor = start
        var day = calendar.startOfDay(for: start)
        for _ in 0..<730 {
            for (open, close) in intervals(on: day, calendar) where close > cursor {
                let from = max(open, cursor)
                let available = close.timeIntervalSince(from)
                if available >= remaining { return from.addingTimeInterval(remaining) }
                remaining -= available
                cursor = close
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        // Never open (e.g. every day a holiday): fall back to wall-clock time rather than never.
        return start.addingTimeInterval(total)
    }

    /// The open time between `start` and `end`, in seconds (0 when `end` is not later): what a
    /// stopped clock still had left.
    public func openTime(from start: Date, to end: Date) -> Double {
        guard end > start else { return 0 }
        guard !isAlwaysOpen else { return end.timeIntervalSince(start) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = schedule.timeZone
        var total = 0.0
        var day = calendar.startOfDay(for: start)
        for _ in 0..<730 where day < end {
            for (open, close) in intervals(on: day, calendar) {
                let from = max(open, start)
                let to = min(close, end)
                if to > from { total += to.timeIntervalSince(from) }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return total
    }

    /// Whether the clocks run at `date`.
    public func isOpen(at date: Date) -> Bool {
        guard !isAlwaysOpen else { return true }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = schedule.timeZone
        return intervals(on: calendar.startOfDay(for: date), calendar).contains { $0.0 <= date && date < $0.1 }
    }

    /// The open intervals of one local day, sorted and merged.
    private func intervals(on day: Date, _ calendar: Calendar) -> [(Date, Date)] {
        if isHoliday(day, calendar) { return [] }
        let weekday = (calendar.component(.weekday, from: day) + 5) % 7 + 1  // 1 = Monday
        let previous = (weekday + 5) % 7 + 1
        let shifts = schedule.shifts.isEmpty ? [Schedule.Shift(days: Set(1...7), start: 0, end: 1440)] : schedule.shifts
        var found: [(Date, Date)] = []
        func at(_ minute: Int) -> Date { calendar.date(byAdding: .minute, value: minute, to: day) ?? day }
        for shift in shifts {
            if shift.start < shift.end {
                if shift.days.contains(weekday) { found.append((at(shift.start), at(shift.end))) }
            } else {
                // Overnight: the evening belongs to the shift's day, the early morning to the next.
                if shift.days.contains(weekday) { found.append((at(shift.start), at(1440))) }
                if shift.days.contains(previous) { found.append((at(0), at(shift.end))) }
            }
        }
        found.sort { $0.0 < $1.0 }
        var merged: [(Date, Date)] = []
        for interval in found {
            if let last = merged.last, interval.0 <= last.1 {
                merged[merged.count - 1].1 = max(last.1, interval.1)
            } else {
                merged.append(interval)
            }
        }
        return merged
    }

    private func isHoliday(_ day: Date, _ calendar: Calendar) -> Bool {
        guard !holidays.isEmpty else { return false }
        let c = calendar.dateComponents([.year, .month, .day], from: day)
        return holidays.contains(String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0))
    }
}
