import Foundation

/// When an agent works: shift lines such as `mon-fri 09:00-17:00` in the agent's time zone. An
/// agent with no shifts is always on shift.
public struct Schedule: Sendable, Equatable {
    public struct Shift: Sendable, Equatable {
        /// Weekdays, 1 = Monday … 7 = Sunday.
        public var days: Set<Int>
        /// Minutes after midnight; `end < start` runs past midnight.
        public var start: Int
        public var end: Int
    }

    public var shifts: [Shift]
    public var timeZone: TimeZone

    public init(shifts: [Shift] = [], timeZone: TimeZone = .gmt) {
        self.shifts = shifts
        self.timeZone = timeZone
    }

    public static let always = Schedule()

    /// Parses `mon-fri 09:00-17:00`, `sat,sun 10:00-14:00`, `daily 22:00-06:00`; nil with a reason otherwise.
    public static func parseShift(_ text: String) -> Result<Shift, ScheduleError> {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return .failure(ScheduleError("'\(text)' is not 'DAYS HH:MM-HH:MM' (e.g. mon-fri 09:00-17:00)")) }
        guard let days = parseDays(String(parts[0])) else {
            return .failure(ScheduleError("'\(parts[0])' is not a day range (mon-fri, sat,sun, daily)"))
        }
        let times = parts[1].split(separator: "-")
        guard times.count == 2, let start = minutes(String(times[0])), let end = minutes(String(times[1])), start != end else {
            return .failure(ScheduleError("'\(parts[1])' is not a time range HH:MM-HH:MM"))
        }
        return .success(Shift(days: days, start: start, end: end))
    }

    /// Whether `date` falls in one of the shifts.
    public func isOnShift(at date: Date) -> Bool {
        guard !shifts.isEmpty else { return true }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        // Calendar weekdays are 1 = Sunday; ours are 1 = Monday.
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1
        let previousDay = (weekday + 5) % 7 + 1
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return shifts.contains { shift in
            if shift.start < shift.end {
                return shift.days.contains(weekday) && minute >= shift.start && minute < shift.end
            }
            // Overnight: the evening part belongs to the shift's day, the morning part to the day after.
            return (shift.days.contains(weekday) && minute >= shift.start) || (shift.days.contains(previousDay) && minute < shift.end)
        }
    }

    private static let dayNames = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

    private static func parseDays(_ text: String) -> Set<Int>? {
        let t = text.lowercased()
        if t == "daily" || t == "*" { return Set(1...7) }
        var days = Set<Int>()
        for item in t.split(separator: ",") {
            let range = item.split(separator: "-")
            if range.count == 2, let a = dayNames[String(range[0])], let b = dayNames[String(range[1])] {
                var d = a
                while true {
                    days.insert(d)
                    if d == b { break }
                    d = d % 7 + 1
                }
            } else if range.count == 1, let d = dayNames[String(range[0])] {
                days.insert(d)
            } else {
                return nil
            }
        }
        return days.isEmpty ? nil : days
    }

    private static func minutes(_ text: String) -> Int? {
        let hm = text.split(separator: ":")
        guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else {
            return nil
        }
        return h * 60 + m
    }
}

public struct ScheduleError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
