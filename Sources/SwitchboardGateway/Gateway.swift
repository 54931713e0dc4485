import Foundation
import Hummingbird
import HummingbirdCore
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
    /// Each agent's API token by agent id: a console session opened with a token ends when it changes.
    public var tokens: [String: String] = [:]
    /// Read timeouts, idle timeout and connection cap (`server:`).
    public var connectionLimits = ConnectionLimits()
    /// `server.trusted_proxies`: peers whose `X-Forwarded-For` names the client.
    public var trustedProxies: [String] = []
    /// `rules:` (dry runs), `webhooks:` (deliveries, replays), and the journal state-changing API
    /// calls wait for before answering.
    public var rules: RuleEngine?
    public var integrations: Integrations?
    public var journal: EventJournal?
    /// Sign-in, second factor and single sign-on: issue 21 (see ``TrustComponents``).
    public var trust = TrustComponents()
    /// Signed URLs of reply attachments under `public_url` (Twilio MMS fetches them); nil: not served.
    public var mediaLinks: MediaLinks?

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
        if let links = c.mediaLinks { MediaLinkRoute(links: links, store: c.store).add(to: routes) }
        routes.get("/api/v1/openapi.yaml") { _, _ in
            JSONResponse.bytes(OpenAPIDocument.bytes, contentType: "application/yaml")
        }
        let throttle = AuthThrottle()
        let clientAddress = ClientAddress(trustedProxies: c.trustedProxies)
        let sessions = ConsoleSessions(
            store: c.store, directory: c.desk.directory, tokens: c.tokens, throttle: throttle, publicURL: c.publicURL, audit: c.desk.audit,
            secondFactors: c.store, requireSecondFactor: c.trust.console.requireSecondFactor)
        ConsoleRoutes(sessions: sessions, maxBodyBytes: c.maxBodyBytes, clientAddress: clientAddress).add(to: routes)
        OIDCRoutes(
            client: c.trust.oidcClient(publicURL: c.publicURL), settings: c.trust.console.oidc, sessions: sessions,
            stateKey: c.trust.stateKey, clientAddress: clientAddress, now: Date.init
        ).add(to: routes)
        let api = routes.group("/api/v1").add(
            middleware: AgentAuthMiddleware(
                directory: c.desk.directory, sessions: sessions, throttle: throttle, clientAddress: clientAddress))
        if let journal = c.journal { api.add(middleware: JournalFlushMiddleware(journal: journal)) }
        ConsoleInboxRoute(desk: c.desk).add(to: api)
        AgentAPIRoutes(desk: c.desk, maxBodyBytes: c.maxBodyBytes).add(to: api)
        UploadRoutes(desk: c.desk).add(to: api)
        AutomationRoutes(desk: c.desk, rules: c.rules, integrations: c.integrations, maxBodyBytes: c.maxBodyBytes).add(to: api)
        PresenceRoute(desk: c.desk, maxBodyBytes: c.maxBodyBytes).add(to: api)
        SearchRoute(desk: c.desk).add(to: api)
        CannedResponseRoutes(desk: c.desk, maxBodyBytes: c.maxBodyBytes).add(to: api)
        MentionRoute(desk: c.desk).add(to: api)
        EventStreamRoute(events: c.events, heartbeat: c.heartbeat).add(to: api)
        AuditRoutes(desk: c.desk).add(to: api)
        CustomerRecordRoutes(desk: c.desk, maxBodyBytes: c.maxBodyBytes).add(to: api)
        return routes
    }

    /// The HTTP server as a service. The gateway's other services (group committer, outbox
    /// worker …) run beside it in the caller's service group, listed before it so that they stop
    /// after it and in-flight requests drain into a still-running store. A failure to listen
    /// (port in use) is thrown from its `run()`.
    public static func application(
        _ c: GatewayComponents, host: String, port: Int, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let limits = c.connectionLimits
        return Application(
            router: buildRouter(c),
            server: HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, limits: limits) },
            configuration: .init(address: .hostname(host, port: port), serverName: "switchboard"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

extension Gateway {
    /// Runs the server beside `services` (group committer, outbox worker …) until SIGTERM/SIGINT.
    ///
    /// The server is listed last: it starts with the others and stops first, so in-flight
    /// requests drain into a still-running store. When it cannot listen (port in use, address
    /// not available), `onServerFailed` hears why at once, the other services are stopped
    /// gracefully, and ``ServerStartFailure`` is thrown: a gateway that does not listen does not
    /// stay running.
    public static func serve(
        _ c: GatewayComponents, host: String, port: Int, services: [any Service], logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void,
        onServerFailed: @escaping @Sendable (any Error) -> Void
    ) async throws {
        let app = application(c, host: host, port: port, logger: logger, onServerRunning: onServerRunning)
        let server = ServerStartReporter(app: app, onFailure: onServerFailed)
        let group = ServiceGroup(
            configuration: .init(
                services: (services + [server]).map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// The HTTP server stopped with an error (most often: it could not listen).
public struct ServerStartFailure: Error, CustomStringConvertible {
    public var reason: any Error
    public var description: String { "\(reason)" }
}

/// Runs the application and turns its failure into ``ServerStartFailure``, reported first.
private struct ServerStartReporter<App: ApplicationProtocol>: Service {
    let app: App
    let onFailure: @Sendable (any Error) -> Void

    func run() async throws {
        do {
            try await app.run()
        } catch {
            onFailure(error)
            throw ServerStartFailure(reason: error)
        }
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
