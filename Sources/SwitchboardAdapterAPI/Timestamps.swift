import Foundation

/// Reads timestamps as channels send them: ISO 8601 (with or without fractional seconds) or epoch
/// seconds / milliseconds.
public enum Timestamps {
    public static func parse(_ text: String) -> Date? {
        let t = text.trimmed
        if let n = Double(t) {
            // Epoch milliseconds are 13 digits today; seconds are 10.
            return Date(timeIntervalSince1970: n > 1e11 ? n / 1000 : n)
        }
        if let d = try? Date(t, strategy: .iso8601) { return d }
        if let d = try? Date(t, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return nil
    }
}
