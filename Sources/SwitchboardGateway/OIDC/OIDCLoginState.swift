import Crypto
import Foundation

/// What a single sign-on attempt must remember between sending the browser to the provider and
/// its return: `state`, `nonce` and the PKCE verifier. It travels in the browser's own cookie
/// (`sb_oidc`, HttpOnly, SameSite=Lax so it comes back with the provider's redirect, ten minutes),
/// sealed with AES-GCM under a key derived from the gateway's key, so any gateway of the database
/// can read it back and nobody can read or forge it.
struct OIDCLoginState: Codable, Equatable {
    static let cookieName = "sb_oidc"
    static let lifetime: TimeInterval = 600

    var state: String
    var nonce: String
    var verifier: String
    var issuedAt: Double

    static func fresh(at: Date) -> OIDCLoginState {
        OIDCLoginState(
            state: ConsoleSessions.randomToken(), nonce: ConsoleSessions.randomToken(), verifier: ConsoleSessions.randomToken(),
            issuedAt: at.timeIntervalSince1970)
    }

    func sealed(with key: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(try JSONEncoder().encode(self), using: SymmetricKey(data: key))
        guard let combined = box.combined else { throw OIDCFailure(code: "internal", message: "cannot seal the sign-in state") }
        return OIDCClient.base64URL(Array(combined))
    }

    /// The state in `cookie`, if it was sealed with `key` and is not older than ``lifetime``.
    static func opened(_ cookie: String, with key: [UInt8], at: Date) -> OIDCLoginState? {
        guard let data = OIDCClient.base64URLDecode(cookie), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key)),
            let state = try? JSONDecoder().decode(OIDCLoginState.self, from: plain)
        else { return nil }
        let age = at.timeIntervalSince1970 - state.issuedAt
        return age >= -60 && age <= lifetime ? state : nil
    }
}
