import Hummingbird
import SwitchboardCore

/// Resolves `Authorization: Bearer <token>` to a configured agent; 401 otherwise.
struct AgentAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let directory: AgentDirectory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ServiceError(status: 401, code: "unauthorized", message: "missing Authorization: Bearer <token> header")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
              let agent = directory.agent(forToken: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else {
            throw ServiceError(status: 401, code: "unauthorized", message: "the bearer token is not valid")
        }
        var context = context
        context.agent = agent
        context.logger[metadataKey: "agent"] = "\(agent.id)"
        return try await next(request, context)
    }
}
