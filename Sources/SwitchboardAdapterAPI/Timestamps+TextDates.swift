import Foundation

// Dates written in English words, read by hand. Foundation's `DateFormatter` traps ("Incorrect
// range CFRange") on some non-ASCII text after a valid prefix, and these strings come from outside:
// a platform's `Retry-After` header took the gateway down with the reply it was answering
// (found by FuzzPlatformAnswers).
extension Timestamps {
    /// An HTTP date in the three forms RFC 9110 §5.6.7 has recipients accept:
    /// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850)
    /// and `Sun Nov  6 08:49:37 1994` (asctime). Anything else is nil.
    public static func parseHTTPDate(_ text: String) -> Date? {
        guard let words = asciiWords(text) else { return nil }
        switch words.count {
        case 6 where words[5] == "GMT":  // IMF-fixdate
            return date(year: words[3], month: words[2], day: words[1], time: words[4])
        case 4 where words[3] == "GMT":  // RFC 850: two-digit years are this century's or the last's
            let parts = words[1].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[2].count == 2, let yy = number(parts[2]) else { return nil }
            return date(year: String(yy < 70 ? 2000 + yy : 1900 + yy), month: parts[1], day: parts[0], time: words[2])
        case 5:  // asctime
            return date(year: words[4], month: words[1], day: words[2], time: words[3])
        default:
            return nil
        }
    }

    /// `Thu Dec 19 11:27:49 +0000 2019`: Twitter's classic `created_at`.
    public static func parseClassicDate(_ text: String) -> Date? {
        guard let words = asciiWords(text), words.count == 6,
            let base = date(year: words[5], month: words[1], day: words[2], time: words[3]),
            let offset = utcOffset(words[4])
        else { return nil }
        return base.addingTimeInterval(-offset)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The words of an ASCII text, split at spaces and commas; nil for any other text.
    private static func asciiWords(_ text: String) -> [Substring]? {
        guard text.utf8.count <= 64, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "," })
    }

    private static func date(year: some StringProtocol, month: some StringProtocol, day: some StringProtocol, time: some StringProtocol) -> Date? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard year.count == 4, let y = number(year), let monthIndex = months.firstIndex(of: month.lowercased()),
            (1...2).contains(day.count), let d = number(day), clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let h = number(clock[0]), let m = number(clock[1]), let s = number(clock[2]),
            (0..<24).contains(h), (0..<60).contains(m), (0...60).contains(s)
        else { return nil }
        let mo = monthIndex + 1
        guard d >= 1, d <= daysIn(month: mo, year: y) else { return nil }
        let seconds = daysSinceEpoch(year: y, month: mo, day: d) * 86_400 + h * 3_600 + m * 60 + s
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// `+0000`, `-0530`: seconds east of UTC.
    private static func utcOffset(_ word: Substring) -> TimeInterval? {
        guard word.count == 5, let sign = word.first, sign == "+" || sign == "-",
            let hh = number(word.dropFirst().prefix(2)), let mm = number(word.suffix(2)), hh < 24, mm < 60
        else { return nil }
        return TimeInterval((hh * 3_600 + mm * 60) * (sign == "-" ? -1 : 1))
    }

    /// Digits only: `Int` would also take a sign.
    private static func number(_ text: some StringProtocol) -> Int? {
        text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) ? Int(text) : nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
