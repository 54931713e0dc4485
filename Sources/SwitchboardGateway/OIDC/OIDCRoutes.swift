import Foundation
import Hummingbird
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore

/// Single sign-on for the console (OpenID Connect, authorization code flow with PKCE):
/// `GET /console/oidc/start` sends the browser to the provider; `GET /console/oidc/callback`
/// checks `state`, exchanges the code, verifies the ID token (signature against the provider's
/// keys; issuer, audience, expiry with bounded skew; `nonce`), maps the agent claim to a configured
/// agent's `email:` and opens a console session. Anything else is refused, recorded in the audit
/// trail, and the browser returns to the sign-in page with the reason (`/#/sso-error/<reason>`).
/// `GET /console/sign-in-options` tells the console whether to offer it.
struct OIDCRoutes {
    let client: OIDCClient?
    let settings: OIDCSettings?
    let sessions: ConsoleSessions
    let stateKey: [UInt8]
    let clientAddress: ClientAddress
    let now: @Sendable () -> Date

    struct Options: Encodable {
        struct SSO: Encodable {
            var label: String
            var start: String
        }
        var oidc: SSO?
    }

    func add(to router: Hummingbird.Router<GatewayContext>) {
        let console = router.group().add(middleware: ConsoleHeadersMiddleware())
        console.get("/console/sign-in-options") { _, _ in
            JSONResponse.make(Options(oidc: settings.map { Options.SSO(label: $0.label, start: "/console/oidc/start") }))
        }
        guard let client, let settings else { return }
        console.get("/console/oidc/start") { _, _ in
            let login = OIDCLoginState.fresh(at: now())
            let location: String
            do {
                location = try await client.authorizationURL(state: login.state, nonce: login.nonce, verifier: login.verifier)
            } catch let failure as OIDCFailure {
                throw ServiceError(status: 502, code: failure.code, message: "single sign-on is not available: \(failure.message)")
            }
            var response = Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
            response.setCookie(stateCookie(try login.sealed(with: stateKey), maxAge: Int(OIDCLoginState.lifetime)))
            return response
        }
        console.get("/console/oidc/callback") { request, context in
            let source = clientAddress.of(request, context: context)
            do {
                let agent = try await signIn(request, settings: settings, client: client, source: source)
                let opened = try await sessions.open(for: agent, token: nil, in: sessions.store, source: source, method: "oidc")
                var response = Response(status: .found, headers: [.location: "/", .cacheControl: "no-store"])
                response.setCookie(sessions.cookie(opened.cookieValue))
                response.setCookie(stateCookie("", maxAge: 0))
                return response
            } catch let failure as OIDCFailure {
                var response = Response(status: .found, headers: [.location: "/#/sso-error/\(failure.code)", .cacheControl: "no-store"])
                response.setCookie(stateCookie("", maxAge: 0))
                return response
            }
        }
    }

    /// Everything between the provider's redirect and a known agent; records refusals.
    private func signIn(_ request: Request, settings: OIDCSettings, client: OIDCClient, source: String) async throws -> Agent {
        let query = request.uri.queryParameters
        do {
            if let error = query.get("error") {
                throw OIDCFailure(code: "provider_refused", message: "the provider answered \(error)")
            }
            guard let cookie = request.cookies[OIDCLoginState.cookieName]?.value,
                let login = OIDCLoginState.opened(cookie, with: stateKey, at: now())
            else { throw OIDCFailure(code: "no_sign_in_in_progress", message: "no sign-in was started in this browser (or it took over 10 minutes)") }
            guard let state = query.get("state"), Signatures.constantTimeEquals(String(state), login.state) else {
                throw OIDCFailure(code: "state_mismatch", message: "the state the provider returned is not this sign-in's")
            }
            guard let code = query.get("code"), !code.isEmpty else {
                throw OIDCFailure(code: "no_code", message: "the provider returned no authorization code")
            }
            let token = try await client.exchange(code: String(code), verifier: login.verifier)
            let claims = try await client.verify(token, nonce: login.nonce)
            return try await agent(for: claims, settings: settings, source: source)
        } catch let failure as OIDCFailure {
            if failure.code != "unmapped_identity" {
                await sessions.audit?.record(
                    .signInFailed, actor: nil, source: source,
                    details: [
                        "method": "oidc", "reason": failure.code,
                    ])
            }
            Logger(label: "switchboard.oidc").notice("single sign-on refused", metadata: ["reason": "\(failure.message)"])
            throw failure
        }
    }

    /// The configured agent whose `email:` the ID token's agent claim names.
    private func agent(for claims: IDTokenClaims, settings: OIDCSettings, source: String) async throws -> Agent {
        let value = claims.string(settings.agentClaim)?.trimmed.lowercased()
        let verified = settings.agentClaim != "email" || claims.emailVerified != false
        let matches = value.map { v in sessions.directory.agents.filter { $0.email == v } } ?? []
        guard verified, matches.count == 1, let agent = matches.first else {
            await sessions.audit?.record(
                .signInRefused, actor: nil, source: source,
                details: [
                    "method": "oidc", "reason": !verified ? "email_not_verified" : "unmapped_identity",
                    "issuer": claims.string("iss") ?? "", "sub": claims.string("sub") ?? "", settings.agentClaim: value ?? "",
                ])
            throw OIDCFailure(code: "unmapped_identity", message: "the provider's identity matches no configured agent")
        }
        return agent
    }

    private func stateCookie(_ value: String, maxAge: Int) -> Cookie {
        // Lax: the cookie must come back with the provider's top-level redirect to the callback.
        Cookie(
            name: OIDCLoginState.cookieName, value: value, maxAge: maxAge, path: "/console/oidc", secure: sessions.secureCookie,
            httpOnly: true, sameSite: .lax)
    }
}
