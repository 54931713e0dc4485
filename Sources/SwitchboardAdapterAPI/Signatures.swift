import Crypto
import Foundation

/// A secret prepared once for HMAC, so per-request verification does not rebuild the key.
/// `@unchecked`: `SymmetricKey` is not marked Sendable, but it is immutable once made.
public struct HMACKey: @unchecked Sendable {
    /// Kept beside `keyed`, though only `keyed` is read: without it, an HMAC keyed from a temporary
    /// `SymmetricKey` crashed in `HMAC.update` (swift-crypto 4.5.2, debug build, HMACKeyTests).
    let key: SymmetricKey
    /// The HMAC with the key already absorbed (its inner and outer pads), copied for each body instead
    /// of keyed again per request; the digest state is copy-on-write, so a copy never touches this one.
    private let keyed: HMAC<SHA256>

    public init(_ secret: String) {
        key = SymmetricKey(data: Array(secret.utf8))
        keyed = HMAC<SHA256>(key: key)
    }

    /// HMAC-SHA256 of `body` as lower-case hex.
    public func sha256Hex(_ body: some DataProtocol) -> String {
        var mac = keyed
        mac.update(data: body)
        return Signatures.hex(mac.finalize())
    }

    /// Checks a hex HMAC-SHA256 signature in constant time; an optional `prefix` (`sha256=`) is
    /// stripped first.
    public func verifySHA256Hex(body: some DataProtocol, signature: String?, prefix: String = "") -> Bool {
        guard var sig = signature?.trimmed else { return false }
        if !prefix.isEmpty {
            guard sig.utf8.count >= prefix.utf8.count, equalsIgnoringASCIICase(String(sig.prefix(prefix.count)), prefix) else { return false }
            sig.removeFirst(prefix.count)
        }
        guard let given = Signatures.bytes(fromHex: sig) else { return false }
        var mac = keyed
        mac.update(data: body)
        return mac.finalize() == given  // constant time (swift-crypto's safeCompare)
    }
}

/// Webhook signature helpers. Every comparison is constant-time over the decoded digest bytes.
public enum Signatures {
    /// HMAC-SHA256 of `body` as lower-case hex.
    public static func hmacSHA256Hex(key: String, _ body: some DataProtocol) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8))))
    }

    /// HMAC-SHA256 of `body` as base64.
    public static func hmacSHA256Base64(key: String, _ body: some DataProtocol) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))).base64EncodedString()
    }

    /// HMAC-SHA1 of `body` as base64 (Twilio).
    public static func hmacSHA1Base64(key: String, _ body: some DataProtocol) -> String {
        Data(HMAC<Insecure.SHA1>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))).base64EncodedString()
    }

    /// Checks a hex HMAC-SHA256 signature (an optional `prefix` such as `sha256=` is stripped first).
    public static func verifyHMACSHA256Hex(key: String, body: some DataProtocol, signature: String?, prefix: String = "") -> Bool {
        HMACKey(key).verifySHA256Hex(body: body, signature: signature, prefix: prefix)
    }

    /// Compares two secrets (tokens, base64 digests) in time independent of where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var diff = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(fromHex text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
