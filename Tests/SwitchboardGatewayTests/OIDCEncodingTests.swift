import Foundation
import Testing

@testable import SwitchboardGateway

/// The encodings single sign-on depends on, against the RFCs' own examples.
@Suite struct OIDCEncodingTests {
    /// RFC 7636 Appendix B: the S256 challenge of its example verifier.
    @Test func pkceChallengeIsRFC7636() {
        #expect(OIDCClient.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    /// RFC 6749 Appendix B: form encoding of client credentials (space as '+', reserved characters escaped).
    @Test func formEncodingIsRFC6749() {
        #expect(OIDCClient.formEncode(" %&+£€") == "+%25%26%2B%C2%A3%E2%82%AC")
        #expect(OIDCClient.formEncode("switchboard-client_1.x*") == "switchboard-client_1.x*")
    }

    @Test func sealedStateOpensOnlyWithItsKeyAndWithinItsLifetime() throws {
        let key = Array(repeating: UInt8(7), count: 32)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let state = OIDCLoginState.fresh(at: at)
        let sealed = try state.sealed(with: key)
        #expect(OIDCLoginState.opened(sealed, with: key, at: at.addingTimeInterval(60)) == state)
        #expect(OIDCLoginState.opened(sealed, with: Array(repeating: 8, count: 32), at: at) == nil)
        #expect(OIDCLoginState.opened(sealed, with: key, at: at.addingTimeInterval(OIDCLoginState.lifetime + 1)) == nil)
        var tampered = Array(sealed)
        tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
        #expect(OIDCLoginState.opened(String(tampered), with: key, at: at) == nil)
    }
}
