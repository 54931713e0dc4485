import Foundation
import Hummingbird
import SwitchboardCore

/// Resolves `Authorization: Bearer <token>` to a configured agent; 401 otherwise. Without that
/// header, a console session cookie is accepted instead, and then every state-changing request
/// must also carry the session's `X-CSRF-Token` (403 otherwise): the cookie rides along on any
/// request the browser makes, the header only on those the console's own code sends.
///
/// Failed tokens are counted per source address (``AuthThrottle``): past the allowance every
/// bearer request from that address gets 429 with `Retry-After`, valid token or not, so guessing
/// learns nothing while throttled.
struct AgentAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let directory: AgentDirectory
    var sessions: ConsoleSessions? = nil
    var throttle = AuthThrottle()
    var clientAddress = ClientAddress()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await withSession(request, context: context, next: next)
        }
        let source = clientAddress.of(request, context: context)
        if let wait = throttle.reserveBearer(source: source, now: Date()) { return JSONResponse.tooManyAttempts(wait: wait) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let agent = directory.agent(forToken: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else {
            throw ServiceError(status: 401, code: "unauthorized", message: "the bearer token is not valid")
        }
        throttle.bearerSucceeded(source: source, now: Date())
        var context = context
        context.agent = agent
        context.logger[metadataKey: "agent"] = "\(agent.id)"
        return try await next(request, context)
    }

    private func withSession(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let sessions, let value = request.cookies[ConsoleSessions.cookieName]?.value,
            let (agent, session) = try await sessions.resolve(cookieValue: value)
        else {
            throw ServiceError(status: 401, code: "unauthorized", message: "missing Authorization: Bearer <token> header")
        }
        if ![.get, .head, .options].contains(request.method), !ConsoleSessions.csrfMatches(request, session) {
            throw ServiceError(status: 403, code: "csrf", message: "missing or wrong X-CSRF-Token header for this console session")
        }
        var context = context
        context.agent = agent
        context.logger[metadataKey: "agent"] = "\(agent.id)"
        return try await next(request, context)
    }
}
