import Foundation

/// Reads timestamps as channels send them: ISO 8601 (with or without fractional seconds) or epoch
/// seconds / milliseconds. Only plausible times come out (``isPlausible(_:receivedAt:)``): `NaN`,
/// `inf` or `1e300` are no time anyone sent a message at.
public enum Timestamps {
    /// How far ahead of the gateway's clock a channel's clock may run.
    public static let futureTolerance: TimeInterval = 24 * 3600

    public static func parse(_ text: String) -> Date? {
        let t = text.trimmed
        let date: Date?
        if let n = Double(t) {
            // Epoch milliseconds are 13 digits today; seconds are 10.
            date = Date(timeIntervalSince1970: n > 1e11 ? n / 1000 : n)
        } else if let d = try? Date(t, strategy: .iso8601) {
            date = d
        } else {
            date = try? Date(t, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        return date.flatMap { isPlausible($0) ? $0 : nil }
    }

    /// Whether `date` can be when a message was sent or edited: a finite time, not before
    /// 1970-01-01 and not more than ``futureTolerance`` after `receivedAt`. The pipeline refuses
    /// anything else (400), whatever the adapter.
    public static func isPlausible(_ date: Date, receivedAt: Date = Date()) -> Bool {
        let t = date.timeIntervalSince1970
        return t.isFinite && t >= 0 && t <= receivedAt.timeIntervalSince1970 + futureTolerance
    }
}
