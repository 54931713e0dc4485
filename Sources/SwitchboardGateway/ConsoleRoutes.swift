import Foundation
import Hummingbird
import NIOCore
import SwitchboardAdapterAPI
import SwitchboardCore

/// The agent console: the page at `/`, its assets under `/assets/`, and sign-in/out at
/// `/console/session`. Everything else it does goes through the agent API with the session cookie.
struct ConsoleRoutes {
    let sessions: ConsoleSessions
    let maxBodyBytes: Int
    let clientAddress: ClientAddress

    struct SignInRequest: Decodable {
        var agent: String?
        var password: String?
        var token: String?
        /// The second factor: a TOTP code or a recovery code.
        var code: String?
    }

    struct SessionInfo: Encodable {
        struct AgentInfo: Encodable {
            var id: String
            var name: String
            var role: Agent.Role
        }
        var agent: AgentInfo
        var csrf_token: String
    }

    func add(to router: Hummingbird.Router<GatewayContext>) {
        let console = router.group().add(middleware: ConsoleHeadersMiddleware())
        console.get("/") { _, _ in try Self.asset("index.html") }
        console.get("/assets/**") { request, _ in
            let path = request.uri.path.dropFirst("/assets/".count)
            return try Self.asset("assets/" + path)
        }
        console.post("/console/session") { request, context in
            try Self.requireSameOrigin(request)
            let source = clientAddress.of(request, context: context)
            var request = request
            let body = try await signInRequest(&request)
            let signedIn: ConsoleSessions.SignedIn
            if let token = body.token?.trimmed, !token.isEmpty {
                signedIn = try await sessions.signIn(token: token, source: source)
            } else if let agent = body.agent?.trimmed, !agent.isEmpty, let password = body.password, !password.isEmpty {
                signedIn = try await sessions.signIn(agentID: agent, password: password, code: body.code, source: source)
            } else {
                throw ServiceError.badRequest("send 'agent' and 'password', or 'token'")
            }
            var response = JSONResponse.make(info(signedIn.agent, csrf: signedIn.csrfToken), status: .created)
            response.setCookie(sessions.cookie(signedIn.cookieValue))
            return response
        }
        // The page asks who is signed in after a reload; the CSRF token is only ever readable by
        // same-origin code, so handing it out again is safe.
        console.get("/console/session") { request, _ in
            guard let value = request.cookies[ConsoleSessions.cookieName]?.value,
                let (agent, session) = try await sessions.resolve(cookieValue: value)
            else { throw ServiceError(status: 401, code: "unauthorized", message: "not signed in") }
            return JSONResponse.make(info(agent, csrf: session.csrfToken))
        }
        console.delete("/console/session") { request, context in
            if let value = request.cookies[ConsoleSessions.cookieName]?.value,
                let (agent, session) = try await sessions.resolve(cookieValue: value)
            {
                guard ConsoleSessions.csrfMatches(request, session) else {
                    throw ServiceError(status: 403, code: "csrf", message: "missing or wrong X-CSRF-Token header for this console session")
                }
                try await sessions.signOut(cookieValue: value, agent: agent, source: clientAddress.of(request, context: context))
            }
            var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
            response.setCookie(sessions.clearedCookie())
            return response
        }
    }

    private func info(_ agent: Agent, csrf: String) -> SessionInfo {
        SessionInfo(agent: .init(id: agent.id, name: agent.name, role: agent.role), csrf_token: csrf)
    }

    private func signInRequest(_ request: inout Request) async throws -> SignInRequest {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") {
            let fields = FormEncoding.parse(try await request.bodyBytes(limit: maxBodyBytes))
            func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
            return SignInRequest(agent: field("agent"), password: field("password"), token: field("token"), code: field("code"))
        }
        return try await request.decodeJSON(SignInRequest.self, limit: maxBodyBytes)
    }

    /// Refuses a sign-in posted by another site (login CSRF: being signed in as the attacker).
    private static func requireSameOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin] else { return }
        let host = request.head.authority ?? ""
        guard origin == "http://\(host)" || origin == "https://\(host)" else {
            throw ServiceError(status: 403, code: "cross_origin", message: "sign-in is only accepted from the console's own origin")
        }
    }

    private static func asset(_ path: some StringProtocol) throws -> Response {
        guard let asset = ConsoleAssets.files[String(path)] else { throw ServiceError.notFound("'/\(path)'") }
        return Response(
            status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// Headers on every console response: a Content-Security-Policy without `unsafe-inline`, so even
/// a customer string that slipped past escaping could not run as script or style.
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    static let policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServiceError {
            response = JSONResponse.error(status: error.status, code: error.code, message: error.message)
        } catch let error as TooManyAttempts {
            response = JSONResponse.tooManyAttempts(wait: error.wait)
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        return response
    }
}

/// `/api/v1/inbox`: the console's list, with each conversation's latest message and waiting time.
struct ConsoleInboxRoute {
    let desk: AgentDesk

    struct Inbox: Encodable { var conversations: [InboxEntry] }

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("inbox") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let params = request.uri.queryParameters
            guard let status = ConversationQuery.StatusFilter(rawValue: params.get("status") ?? "open") else {
                throw ServiceError.badRequest("'status' must be one of open, pending, resolved, all")
            }
            guard let scope = AgentDesk.InboxScope(rawValue: params.get("scope") ?? "mine") else {
                throw ServiceError.badRequest("'scope' must be one of mine, everyone, escalations, breached")
            }
            let limit = params.get("limit").flatMap(Int.init) ?? 100
            guard (1...500).contains(limit) else { throw ServiceError.badRequest("'limit' must be between 1 and 500") }
            return JSONResponse.make(Inbox(conversations: try await desk.inbox(for: viewer, status: status, scope: scope, limit: limit)))
        }
    }
}
