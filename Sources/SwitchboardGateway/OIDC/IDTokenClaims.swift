import Foundation
import JWTKit
import SwitchboardAdapterAPI

/// The claims of an ID token, all of them (the agent claim is configurable). jwt-kit checks the
/// signature; the claims are checked by ``OIDCClient/check(_:nonce:)`` with the gateway's clock and
/// its bounded skew.
struct IDTokenClaims: JWTPayload, Equatable {
    let claims: [String: JSONValue]

    init(claims: [String: JSONValue]) {
        self.claims = claims
    }

    init(from decoder: any Decoder) throws {
        claims = try [String: JSONValue](from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try claims.encode(to: encoder)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    func string(_ name: String) -> String? {
        if case .string(let value)? = claims[name] { return value }
        return nil
    }

    /// A NumericDate claim (seconds since 1970, possibly fractional).
    func date(_ name: String) -> Date? {
        switch claims[name] {
        case .integer(let value)?: Date(timeIntervalSince1970: Double(value))
        case .number(let value)?: Date(timeIntervalSince1970: value)
        default: nil
        }
    }

    /// `aud`: a string or an array of strings.
    var audiences: [String] {
        switch claims["aud"] {
        case .string(let value)?: [value]
        case .array(let values)?: values.compactMap { if case .string(let s) = $0 { s } else { nil } }
        default: []
        }
    }

    /// `email_verified` as providers write it: a boolean, or the strings "true"/"false".
    var emailVerified: Bool? {
        switch claims["email_verified"] {
        case .bool(let value)?: value
        case .string(let value)?: value.lowercased() == "true"
        default: nil
        }
    }
}
