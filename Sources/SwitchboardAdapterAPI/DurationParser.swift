import Foundation

/// Parses the durations operators write in configuration: `250ms`, `5s`, `30m`, `24h`, `2d`, `1h30m`.
public enum DurationParser {
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !s.isEmpty else { return nil }
        var milliseconds = 0.0
        var number = ""
        var index = s.startIndex
        var sawUnit = false
        while index < s.endIndex {
            let c = s[index]
            if c.isNumber || c == "." {
                number.append(c)
                index = s.index(after: index)
                continue
            }
            var unit = ""
            while index < s.endIndex, s[index].isLetter {
                unit.append(s[index])
                index = s.index(after: index)
            }
            guard let value = Double(number), let scale = unitSeconds[unit] else { return nil }
            milliseconds += (value * scale * 1000).rounded()
            number = ""
            sawUnit = true
        }
        // A bare number means seconds; a trailing number after units is a typo.
        if !number.isEmpty {
            guard !sawUnit, let value = Double(number) else { return nil }
            milliseconds += (value * 1000).rounded()
        }
        // Whole milliseconds in Int64 or it is no duration: converting more would trap (a
        // crash of check-config, or of the gateway when an adapter process sends it).
        guard milliseconds <= maxMilliseconds else { return nil }
        return .milliseconds(Int64(milliseconds))
    }

    /// About 31,700 years: longer is no duration anyone means, and far from Int64's limit.
    static let maxMilliseconds = 1e15

    private static let unitSeconds: [String: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400]
}
