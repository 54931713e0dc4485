import Foundation
import SwitchboardAdapterAPI

/// How webhook posts are signed: `X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" with the endpoint's secret>`. The timestamp is inside what is signed, so a receiver
/// that refuses signatures older than a few minutes (and remembers the `X-Switchboard-Delivery`
/// ids it took within that window) cannot be fed a recorded post again.
public enum WebhookSignature {
    public static let header = "X-Switchboard-Signature"

    /// The header's value for `body` sent at `time`.
    public static func sign(body: [UInt8], secret: HMACKey, at time: Date) -> String {
        let t = Int64(time.timeIntervalSince1970.rounded(.down))
        return "t=\(t),v1=\(secret.sha256Hex(Array("\(t).".utf8) + body))"
    }

    /// Checks a header as a receiver should: the signature over the timestamp and body, in constant
    /// time, and the timestamp within `tolerance` of `now`.
    public static func verify(header: String?, body: [UInt8], secret: HMACKey, now: Date, tolerance: TimeInterval = 300) -> Bool {
        guard let header else { return false }
        var t: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { t = Int64(pair[1]) }
            if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let t, abs(now.timeIntervalSince1970 - Double(t)) <= tolerance else { return false }
        let signed = Array("\(t).".utf8) + body
        return signatures.contains { secret.verifySHA256Hex(body: signed, signature: $0) }
    }
}
