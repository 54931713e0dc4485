import Hummingbird
import SwitchboardCore

/// Per-request state: the signed-in agent, once the bearer token is checked.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var agent: Agent?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// The signed-in agent; the auth middleware guarantees it on `/api/v1`.
    func requireAgent() throws -> Agent {
        guard let agent else { throw ServiceError(status: 401, code: "unauthorized", message: "missing or invalid bearer token") }
        return agent
    }
}
