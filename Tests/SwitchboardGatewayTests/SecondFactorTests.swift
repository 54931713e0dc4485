import Foundation
import HummingbirdOTP
import Testing

@testable import SwitchboardGateway

/// TOTP as RFC 6238 defines it (its Appendix B test vectors), and the console's rules on top.
@Suite struct SecondFactorTests {
    /// RFC 6238 Appendix B: T0 = 0, X = 30 s, 8 digits, the seeds the RFC gives for each hash.
    static let vectors: [(time: Double, sha1: String, sha256: String, sha512: String)] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ]
    static let seed20 = "12345678901234567890"
    static let seed32 = "12345678901234567890123456789012"
    static let seed64 = "1234567890123456789012345678901234567890123456789012345678901234"

    @Test(arguments: vectors.indices)
    func rfc6238TestVectors(_ index: Int) {
        let v = Self.vectors[index]
        let at = Date(timeIntervalSince1970: v.time)
        #expect(SecondFactor.code(secret: Self.seed20, at: at, length: 8, hash: .sha1) == v.sha1)
        #expect(SecondFactor.code(secret: Self.seed32, at: at, length: 8, hash: .sha256) == v.sha256)
        #expect(SecondFactor.code(secret: Self.seed64, at: at, length: 8, hash: .sha512) == v.sha512)
    }

    @Test func sixDigitCodesKeepTheirLeadingZeros() {
        // The RFC's 1111111109 vector truncated to 6 digits: 081804.
        #expect(SecondFactor.code(secret: Self.seed20, at: Date(timeIntervalSince1970: 1_111_111_109)) == "081804")
    }

    @Test func aCodeMatchesItsStepAndOneStepEitherSide() {
        let secret = SecondFactor.newSecret()
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let step = SecondFactor.step(of: now)
        for offset: Int64 in [-1, 0, 1] {
            let at = Date(timeIntervalSince1970: Double((step + offset) * 30))
            #expect(SecondFactor.matchingStep(SecondFactor.code(secret: secret, at: at), secret: secret, at: now) == step + offset)
        }
        let tooOld = Date(timeIntervalSince1970: Double((step - 2) * 30))
        #expect(SecondFactor.matchingStep(SecondFactor.code(secret: secret, at: tooOld), secret: secret, at: now) == nil)
        #expect(SecondFactor.matchingStep(SecondFactor.code(secret: "another secret", at: now), secret: secret, at: now) == nil)
    }

    @Test func secretsAndURIs() {
        let secret = SecondFactor.newSecret()
        #expect(secret.count == 32 && secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(SecondFactor.newSecret() != secret)
        let uri = SecondFactor.uri(secret: secret, agent: "ana")
        #expect(uri.hasPrefix("otpauth://totp/"))
        #expect(uri.contains("issuer=Switchboard"))
        #expect(uri.contains("secret="))
    }

    @Test func recoveryCodes() {
        let codes = SecondFactor.newRecoveryCodes()
        #expect(codes.count == 10 && Set(codes).count == 10)
        #expect(codes.allSatisfy { $0.count == 19 && $0.split(separator: "-").count == 4 })
        let code = codes[0]
        // Typed in capitals, without dashes, with spaces: the same code.
        let typed = code.uppercased().replacingOccurrences(of: "-", with: " ")
        #expect(SecondFactor.recoveryCodeHash(agent: "ana", code: typed) == SecondFactor.recoveryCodeHash(agent: "ana", code: code))
        #expect(SecondFactor.recoveryCodeHash(agent: "luis", code: code) != SecondFactor.recoveryCodeHash(agent: "ana", code: code))
        #expect(SecondFactor.totpCode("123 456") == "123456")
        #expect(SecondFactor.totpCode(code) == nil)
    }
}
