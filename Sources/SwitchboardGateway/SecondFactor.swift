import Crypto
import Foundation
import HummingbirdOTP
import SwitchboardAdapterAPI
import SwitchboardCore

/// TOTP (RFC 6238) as the console uses it: 6 digits, 30-second steps, HMAC-SHA1 (what every
/// authenticator app speaks), a code accepted one step either side of now for clock drift, and each
/// step at most once. Codes are computed by HummingbirdOTP.
public enum SecondFactor {
    public static let digits = 6
    public static let period = 30
    /// Steps accepted before and after the current one.
    static let drift: Int64 = 1
    static let issuer = "Switchboard"
    static let recoveryCodeCount = 10

    /// A new shared secret: 32 characters from a 62-letter alphabet (about 190 bits). The
    /// characters' ASCII bytes are the HMAC key (the `otpauth://` URI carries them in base32).
    public static func newSecret() -> String {
        randomString(32, alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    }

    /// The URI an authenticator app scans (or takes as text).
    public static func uri(secret: String, agent: String) -> String {
        TOTP(secret: secret, length: digits, timeStep: period).createAuthenticatorURL(label: "\(issuer):\(agent)", issuer: issuer)
    }

    /// The code for `date` (RFC 6238 with T0 = 0), `length` digits with leading zeros.
    static func code(secret: String, at date: Date, length: Int = digits, hash: OTPHashFunction = .sha1) -> String {
        let value = TOTP(secret: secret, length: length, timeStep: period, hashFunction: hash).compute(date: date)
        let text = String(value)
        return String(repeating: "0", count: max(0, length - text.count)) + text
    }

    static func step(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down)) }

    /// The time step whose code `code` is (now, or one step either side), if any. Compared in constant time.
    static func matchingStep(_ code: String, secret: String, at now: Date) -> Int64? {
        let current = step(of: now)
        var found: Int64?
        for step in (current - drift)...(current + drift) {
            let expected = Self.code(secret: secret, at: Date(timeIntervalSince1970: Double(step * Int64(period))))
            if Signatures.constantTimeEquals(expected, code), found == nil { found = step }
        }
        return found
    }

    /// What was typed, if it is shaped like a TOTP code (6 digits, spaces ignored).
    static func totpCode(_ typed: String) -> String? {
        let digitsOnly = typed.filter { !$0.isWhitespace }
        return digitsOnly.count == digits && digitsOnly.allSatisfy { $0.isASCII && $0.isNumber } ? digitsOnly : nil
    }

    /// Ten recovery codes, `xxxx-xxxx-xxxx-xxxx` in a 32-letter alphabet without look-alikes (80 bits each).
    public static func newRecoveryCodes() -> [String] {
        (0..<recoveryCodeCount).map { _ in
            let raw = randomString(16, alphabet: Array("abcdefghjkmnpqrstuvwxyz23456789"))
            return stride(from: 0, to: 16, by: 4).map { offset in
                String(raw[raw.index(raw.startIndex, offsetBy: offset)..<raw.index(raw.startIndex, offsetBy: offset + 4)])
            }.joined(separator: "-")
        }
    }

    /// How a recovery code is stored: SHA-256 over the agent and the code as typed without dashes,
    /// spaces or case (80 random bits: a fast hash is enough).
    public static func recoveryCodeHash(agent: String, code: String) -> String {
        let normalized = code.lowercased().filter { $0.isLetter || $0.isNumber }
        return Signatures.hex(SHA256.hash(data: Array("switchboard recovery code\u{0}\(agent)\u{0}\(normalized)".utf8)))
    }

    private static func randomString(_ count: Int, alphabet: [Character]) -> String {
        var generator = SystemRandomNumberGenerator()
        // Rejection sampling keeps every letter equally likely.
        let limit = 256 - 256 % alphabet.count
        var out = ""
        while out.count < count {
            let byte = Int(UInt8.random(in: .min ... .max, using: &generator))
            if byte < limit { out.append(alphabet[byte % alphabet.count]) }
        }
        return out
    }
}
