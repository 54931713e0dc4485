import Hummingbird
import NIOCore
import SwitchboardCore

/// Per-request state: the signed-in agent, once the bearer token is checked.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var agent: Agent?
    /// The peer of the connection (a proxy's address when one is in front).
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The signed-in agent; the auth middleware guarantees it on `/api/v1`.
    func requireAgent() throws -> Agent {
        guard let agent else { throw ServiceError(status: 401, code: "unauthorized", message: "missing or invalid bearer token") }
        return agent
    }
}
