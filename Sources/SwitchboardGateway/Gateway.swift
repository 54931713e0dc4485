import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import SwitchboardCore

/// Everything the HTTP side needs, built once at start.
public struct GatewayComponents: Sendable {
    public var pipeline: InboundPipeline
    public var desk: AgentDesk
    public var events: EventBus
    public var store: any Store
    public var registry: PrometheusCollectorRegistry
    public var maxBodyBytes: Int
    public var heartbeat: Duration
    /// `server.public_url`: the console's session cookie is `Secure` when it is https.
    public var publicURL: String = ""
    /// Whether this gateway runs the once-per-cluster work (`/readyz` says so).
    public var leadership: any Leadership = SoleLeader()

    public init(
        pipeline: InboundPipeline, desk: AgentDesk, events: EventBus, store: any Store,
        registry: PrometheusCollectorRegistry, maxBodyBytes: Int, heartbeat: Duration = .seconds(15)
    ) {
        self.pipeline = pipeline
        self.desk = desk
        self.events = events
        self.store = store
        self.registry = registry
        self.maxBodyBytes = maxBodyBytes
        self.heartbeat = heartbeat
    }
}

/// The HTTP gateway: hooks, agent API, live events, operations.
public enum Gateway {
    /// Builds the router with every route and middleware.
    public static func buildRouter(_ c: GatewayComponents) -> Hummingbird.Router<GatewayContext> {
        let routes = Hummingbird.Router(context: GatewayContext.self)
        routes.middlewares.add(JSONErrorMiddleware())
        routes.middlewares.add(MetricsMiddleware())
        OperationsRoutes(store: c.store, adapters: c.pipeline.adapters, registry: c.registry, leadership: c.leadership).add(to: routes)
        HookRoutes(pipeline: c.pipeline, maxBodyBytes: c.maxBodyBytes).add(to: routes)
        routes.get("/api/v1/openapi.yaml") { _, _ in
            JSONResponse.bytes(OpenAPIDocument.bytes, contentType: "application/yaml")
        }
        let sessions = ConsoleSessions(store: c.store as? any SessionStore, directory: c.desk.directory, publicURL: c.publicURL)
        ConsoleRoutes(sessions: sessions, maxBodyBytes: c.maxBodyBytes).add(to: routes)
        let api = routes.group("/api/v1").add(middleware: AgentAuthMiddleware(directory: c.desk.directory, sessions: sessions))
        ConsoleInboxRoute(desk: c.desk).add(to: api)
        AgentAPIRoutes(desk: c.desk, maxBodyBytes: c.maxBodyBytes).add(to: api)
        EventStreamRoute(events: c.events, heartbeat: c.heartbeat).add(to: api)
        return routes
    }

    /// The application: `services` (group committer, outbox worker …) start before the server
    /// and stop after it, so in-flight requests drain into a still-running store.
    public static func application(
        _ c: GatewayComponents, host: String, port: Int, services: [any Service], logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(c),
            configuration: .init(address: .hostname(host, port: port), serverName: "switchboard"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// The OpenAPI 3.1 document of the agent API, shipped as a resource.
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url)
        else { return Array("openapi: 3.1.0\n".utf8) }
        return Array(data)
    }()
}
