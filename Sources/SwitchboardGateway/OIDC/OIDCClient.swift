import Crypto
import Foundation
import JWTKit
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig

/// Why single sign-on did not sign someone in: a short code for the audit trail and the console,
/// and what an operator needs to know.
struct OIDCFailure: Error, CustomStringConvertible {
    var code: String
    var message: String
    var description: String { "\(code): \(message)" }
}

/// The gateway's side of an OpenID Connect provider (authorization code flow with PKCE): its
/// discovery document and keys, fetched on first use and cached; the authorization URL; the code
/// exchange; and every check an ID token must pass before it names anyone.
actor OIDCClient {
    struct Discovery: Decodable {
        var issuer: String
        var authorization_endpoint: String
        var token_endpoint: String
        var jwks_uri: String
    }

    /// Asymmetric algorithms only: `none` and HMAC (which a public key could be abused for) never pass.
    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

    let settings: OIDCSettings
    let redirectURI: String
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private var discovery: (value: Discovery, fetchedAt: Date)?
    private var keys: (collection: JWTKeyCollection, kids: Set<String>, fetchedAt: Date)?

    init(settings: OIDCSettings, redirectURI: String, transport: any HTTPTransport, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.redirectURI = redirectURI
        self.transport = transport
        self.now = now
    }

    /// Where the browser is sent to sign in.
    func authorizationURL(state: String, nonce: String, verifier: String) async throws -> String {
        let endpoint = try await document().authorization_endpoint
        var components = URLComponents(string: endpoint)
        var items = components?.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: settings.clientID),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "scope", value: settings.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: Self.challenge(verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        components?.queryItems = items
        // `+` in a query means a space to many servers; URLComponents leaves it alone.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.string else { throw OIDCFailure(code: "provider_unusable", message: "bad authorization_endpoint \(endpoint)") }
        return url
    }

    /// Exchanges the authorization code (with the PKCE verifier) for tokens; returns the ID token.
    func exchange(code: String, verifier: String) async throws -> String {
        let endpoint = try await document().token_endpoint
        let form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
            ("client_id", settings.clientID),
        ].map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        // client_secret_basic: RFC 6749 2.3.1 form-encodes id and secret before base64.
        let basic = Data("\(Self.formEncode(settings.clientID)):\(Self.formEncode(settings.clientSecret))".utf8).base64EncodedString()
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(
                    method: "POST", url: endpoint,
                    headers: [
                        ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"), ("Authorization", "Basic \(basic)"),
                    ],
                    body: Array(form.utf8), timeout: .seconds(10)))
        } catch {
            throw OIDCFailure(code: "provider_unreachable", message: "token endpoint: \(error)")
        }
        let answer = try? JSONDecoder().decode([String: JSONValue].self, from: Data(response.body))
        guard (200..<300).contains(response.status) else {
            let reason = answer?["error"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "status \(response.status)"
            throw OIDCFailure(code: "code_refused", message: "the provider refused the authorization code: \(reason)")
        }
        guard case .string(let token)? = answer?["id_token"] else {
            throw OIDCFailure(code: "no_id_token", message: "the token endpoint answered without an id_token")
        }
        return token
    }

    /// Verifies the ID token's signature against the provider's keys and checks its claims; returns them.
    func verify(_ token: String, nonce: String) async throws -> IDTokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.base64URLDecode(String(parts[0])),
            let header = try? JSONDecoder().decode([String: JSONValue].self, from: headerBytes),
            case .string(let alg)? = header["alg"]
        else { throw OIDCFailure(code: "bad_id_token", message: "the ID token is not a signed JWT") }
        guard Self.algorithms.contains(alg) else {
            throw OIDCFailure(code: "bad_id_token", message: "the ID token is signed with '\(alg)', which is not accepted")
        }
        let kid: String? = if case .string(let k)? = header["kid"] { k } else { nil }
        let collection = try await keyCollection(for: kid)
        let claims: IDTokenClaims
        do {
            claims = try await collection.verify(token, as: IDTokenClaims.self)
        } catch {
            throw OIDCFailure(code: "bad_signature", message: "the ID token's signature does not verify against the provider's keys")
        }
        try await check(claims, nonce: nonce)
        return claims
    }

    /// The claims every ID token must carry (OpenID Connect Core 3.1.3.7), with the gateway's clock.
    func check(_ claims: IDTokenClaims, nonce: String) async throws {
        let issuer = try await document().issuer
        let at = now()
        let skew = Double(settings.clockSkew.components.seconds)
        guard claims.string("iss") == issuer else {
            throw OIDCFailure(code: "wrong_issuer", message: "the ID token was issued by '\(claims.string("iss") ?? "?")', not '\(issuer)'")
        }
        let audiences = claims.audiences
        guard audiences.contains(settings.clientID) else {
            throw OIDCFailure(code: "wrong_audience", message: "the ID token is not meant for client '\(settings.clientID)'")
        }
        if audiences.count > 1 || claims.string("azp") != nil {
            guard claims.string("azp") == settings.clientID else {
                throw OIDCFailure(code: "wrong_audience", message: "the ID token was issued to another party (azp)")
            }
        }
        guard let expires = claims.date("exp"), at.timeIntervalSince(expires) < skew else {
            throw OIDCFailure(code: "expired", message: "the ID token has expired (or carries no exp)")
        }
        guard let issued = claims.date("iat"), issued.timeIntervalSince(at) < skew else {
            throw OIDCFailure(code: "not_yet_valid", message: "the ID token's iat is missing or in the future")
        }
        if let notBefore = claims.date("nbf"), notBefore.timeIntervalSince(at) >= skew {
            throw OIDCFailure(code: "not_yet_valid", message: "the ID token is not valid yet (nbf)")
        }
        guard let sent = claims.string("nonce"), Signatures.constantTimeEquals(sent, nonce) else {
            throw OIDCFailure(code: "wrong_nonce", message: "the ID token's nonce is not the one this sign-in sent")
        }
        guard claims.string("sub")?.isEmpty == false else {
            throw OIDCFailure(code: "bad_id_token", message: "the ID token names no subject (sub)")
        }
    }

    // MARK: - Discovery and keys

    private func document() async throws -> Discovery {
        if let discovery, now().timeIntervalSince(discovery.fetchedAt) < 3600 { return discovery.value }
        let base = settings.issuer.hasSuffix("/") ? String(settings.issuer.dropLast()) : settings.issuer
        let fetched: Discovery = try await fetchJSON(base + "/.well-known/openid-configuration", what: "discovery document")
        // OpenID Connect Discovery 4.3: the document must name exactly the configured issuer.
        guard fetched.issuer == settings.issuer else {
            throw OIDCFailure(code: "provider_unusable", message: "the discovery document names issuer '\(fetched.issuer)', not '\(settings.issuer)'")
        }
        discovery = (fetched, now())
        return fetched
    }

    /// The provider's keys; fetched again (at most every 30 s) when a token names a key not seen
    /// yet, so a key rotation at the provider needs no restart.
    private func keyCollection(for kid: String?) async throws -> JWTKeyCollection {
        if let keys, kid.map(keys.kids.contains) ?? true, now().timeIntervalSince(keys.fetchedAt) < 3600 { return keys.collection }
        if let keys, now().timeIntervalSince(keys.fetchedAt) < 30 { return keys.collection }
        let uri = try await document().jwks_uri
        let jwks: JWKS = try await fetchJSON(uri, what: "key set (jwks_uri)")
        let collection = JWTKeyCollection()
        var kids = Set<String>()
        for key in jwks.keys {
            // Keys for encryption, and kinds jwt-kit cannot use, are left out rather than failing all.
            guard (try? await collection.add(jwk: key)) != nil, let id = key.keyIdentifier else { continue }
            kids.insert(id.string)
        }
        keys = (collection, kids, now())
        return collection
    }

    private func fetchJSON<T: Decodable>(_ url: String, what: String) async throws -> T {
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")], timeout: .seconds(10)))
        } catch {
            throw OIDCFailure(code: "provider_unreachable", message: "\(what) at \(url): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw OIDCFailure(code: "provider_unreachable", message: "\(what) at \(url): status \(response.status)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw OIDCFailure(code: "provider_unusable", message: "\(what) at \(url) is not what OpenID Connect describes: \(error)")
        }
    }

    // MARK: - Encodings

    /// PKCE's S256 challenge of a verifier.
    static func challenge(_ verifier: String) -> String {
        base64URL(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// application/x-www-form-urlencoded, as RFC 6749 appendix B asks.
    static func formEncode(_ value: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._*")
        return value.addingPercentEncoding(withAllowedCharacters: allowed)?.replacingOccurrences(of: "%20", with: "+") ?? value
    }
}
