import Foundation
import SwitchboardAdapterAPI

/// Call start times as PBXs write them: `2024-01-27 15:07:24` in the PBX's local time (Asterisk
/// records no zone), spreadsheet re-saves like `2020/2/10 22:41`, ISO 8601 with a zone, RFC 2822
/// (Twilio's `Timestamp`), or epoch seconds, milliseconds or microseconds.
enum CallTimestamp {
    /// Only plausible times (``Timestamps/isPlausible(_:receivedAt:)``): `1e400` digits or year
    /// 9999 are a broken record, not a call.
    static func parse(_ raw: String, timeZone: TimeZone) -> Date? {
        parseAny(raw, timeZone: timeZone).flatMap { Timestamps.isPlausible($0) ? $0 : nil }
    }

    private static func parseAny(_ raw: String, timeZone: TimeZone) -> Date? {
        let text = raw.trimmed
        guard !text.isEmpty else { return nil }
        if text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let n = Double(text) {
            // Seconds have 10 digits today, milliseconds 13, microseconds (FreeSWITCH's uepoch) 16.
            let seconds = n > 1e14 ? n / 1_000_000 : n > 1e11 ? n / 1000 : n
            return Date(timeIntervalSince1970: seconds)
        }
        if text.contains(","), let date = rfc2822(text) { return date }
        if text.contains("T") || text.hasSuffix("Z"), let date = Timestamps.parse(text) { return date }
        return local(text, timeZone: timeZone)
    }

    /// `Y-M-D H:M[:S[.f]]` with any separators, read in `timeZone`.
    private static func local(_ text: String, timeZone: TimeZone) -> Date? {
        let parts = text.split(whereSeparator: { !($0.isASCII && $0.isNumber) }).map(String.init)
        guard parts.count >= 5, parts.count <= 7, let year = Int(parts[0]), parts[0].count == 4 else { return nil }
        let numbers = parts.prefix(6).compactMap(Int.init)
        guard numbers.count == min(parts.count, 6) else { return nil }
        let (month, day, hour, minute) = (numbers[1], numbers[2], numbers[3], numbers[4])
        let second = numbers.count > 5 ? numbers[5] : 0
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `Mon, 10 Jun 2024 06:13:20 +0000` (the weekday is optional, the zone an offset or `GMT`).
    private static func rfc2822(_ text: String) -> Date? {
        var words = text.split(separator: " ").map(String.init)
        if words.first?.hasSuffix(",") == true { words.removeFirst() }
        guard words.count == 5, let day = Int(words[0]), let monthIndex = months.firstIndex(of: words[1].lowercased()),
            let year = Int(words[2])
        else { return nil }
        let clock = words[3].split(separator: ":").compactMap { Int($0) }
        guard clock.count >= 2 else { return nil }
        let zone = words[4]
        var offset = 0
        if zone.count == 5, let sign = zone.first, sign == "+" || sign == "-", let hhmm = Int(zone.dropFirst()) {
            offset = (sign == "-" ? -1 : 1) * (hhmm / 100 * 3600 + hhmm % 100 * 60)
        } else if !["GMT", "UT", "UTC", "Z"].contains(zone.uppercased()) {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset) ?? .gmt
        return calendar.date(
            from: DateComponents(
                year: year, month: monthIndex + 1, day: day, hour: clock[0], minute: clock[1], second: clock.count > 2 ? clock[2] : 0))
    }
}
