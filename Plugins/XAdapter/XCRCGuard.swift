import Foundation
import SwitchboardAdapterAPI
import Synchronization

/// Keeps X's CRC handshake from being a signing oracle.
///
/// The CRC answer is `base64(HMAC-SHA256(consumer secret, crc_token))`, and every webhook POST is
/// signed with exactly the same function of its body: answering any token would hand a stranger
/// the signature of any body they chose (a DM from any user id). So the handshake answers only
/// tokens of the shape X sends — short, from the token alphabet, and never something that parses
/// as JSON, which every webhook body is — and only as often as X asks (a few times an hour).
public enum XCRCToken {
    /// The longest token answered. X's tokens are a few dozen characters.
    public static let maxLength = 128

    /// Whether `token` may be answered: 1…``maxLength`` characters of `A–Z a–z 0–9 - _ . ~ + / =`
    /// that do not parse as a JSON document (a number, `true`, `null` …). No answered token can
    /// then be a body the POST side accepts, so no CRC answer verifies a webhook.
    public static func isAcceptable(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        guard (1...maxLength).contains(bytes.count), bytes.allSatisfy(isTokenByte) else { return false }
        return (try? JSONValue.parse(bytes)) == nil
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): true
        default: false
        }
    }
}

/// How often one adapter answers CRC checks: a token bucket of `burst` answers, refilled at one
/// every `interval`. X checks when a webhook is registered and then about hourly; a stranger
/// hammering the handshake gets 429.
public struct XCRCRateLimit: Sendable {
    public var burst: Int
    public var interval: TimeInterval

    public init(burst: Int, interval: TimeInterval) {
        self.burst = burst
        self.interval = interval
    }

    /// 10 answers at once, then one every 6 s (10 a minute).
    public static let standard = XCRCRateLimit(burst: 10, interval: 6)
}

/// The bucket of one adapter (all its requests share it).
final class XCRCLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let limit: XCRCRateLimit
    private let bucket: Mutex<Bucket?> = Mutex(nil)

    init(_ limit: XCRCRateLimit) { self.limit = limit }

    /// Takes one answer from the bucket; false when it is empty.
    func allow(at now: Date) -> Bool {
        bucket.withLock { bucket in
            var current = bucket ?? Bucket(tokens: Double(limit.burst), updated: now)
            let refill = max(0, now.timeIntervalSince(current.updated)) / max(limit.interval, 0.001)
            current.tokens = min(Double(limit.burst), current.tokens + refill)
            current.updated = now
            defer { bucket = current }
            guard current.tokens >= 1 else { return false }
            current.tokens -= 1
            return true
        }
    }
}
