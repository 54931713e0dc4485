import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// Where the gateway listens.
public struct ServerSettings: Sendable, Equatable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var publicURL: String = "http://127.0.0.1:8080"
    /// The largest request body accepted on `/hooks/*` and the API.
    public var maxBodyBytes: Int = 1 << 20
    /// The largest file an agent may upload to send (`POST /api/v1/uploads`); larger ones get a 413.
    public var maxUploadBytes: Int = 100 * 1024 * 1024
    /// From a request's first byte until its header is complete (slow senders are cut off).
    public var headerTimeout: Duration = .seconds(10)
    /// From the end of a request's header until its whole body has arrived.
    public var bodyTimeout: Duration = .seconds(30)
    /// A kept-alive connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections open at once; more are answered 503 and closed.
    public var maxConnections: Int = 2048
    /// Reverse proxies whose `X-Forwarded-For` names the client (for per-address throttling).
    public var trustedProxies: [String] = []
    /// How long an agent's "viewing"/"typing" announcement on a conversation lasts unless renewed.
    public var presenceExpiry: Duration = .seconds(30)

    public init() {}
}

/// Which database holds the state.
public enum StorageSettings: Sendable, Equatable {
    case sqlite(path: String)
    /// `postgres://user@host:port/database` (or libpq's multi-host form, `host1:port1,host2:port2`, with
    /// `target_session_attrs=read-write`); the password comes from the environment (`password_env`),
    /// `pool` caps the connections of this gateway. `sessionURL` (`postgres_session`), when set, is where
    /// the session-long connections go (the live-event `LISTEN` and the leader's advisory lock): PostgreSQL
    /// itself or a session-mode pool, when `url` points at a transaction-mode pgbouncer.
    /// `preparedStatements` (`prepared_statements`, default true) sends the hot statements as named
    /// prepared statements; off for a transaction-mode pgbouncer older than 1.21.
    case postgres(url: String, password: String?, pool: Int, sessionURL: String? = nil, preparedStatements: Bool = true)
}

/// The core's routing rules.
public struct RoutingSettings: Sendable, Equatable {
    public var firstResponse: Duration = .seconds(24 * 3600)
    public var acknowledge: Bool = true
    /// A customer who wrote within this long is not acknowledged again.
    public var acknowledgeQuiet: Duration = .seconds(600)
    /// How many acknowledgements one address and one domain may get (`acknowledge_limits`).
    public var acknowledgeLimits = AcknowledgementLimits()
    /// How soon a missed call must be called back, unless an adapter says otherwise.
    public var callbackWithin: Duration = .seconds(4 * 3600)
    /// How soon a customer writing again after an answer is answered (nil: `first_response`).
    public var nextResponse: Duration?
    /// How soon a request must be resolved (nil: no such promise).
    public var resolution: Duration?
    public var businessHours = BusinessHours.always
    public var rules = RoutingRules()

    public init() {}
}

/// One `adapters:` entry, read by the gateway and handed to its type's factory.
public struct AdapterSpec: Sendable {
    public var id: String
    public var type: String
    public var team: String?
    public var firstResponse: Duration?
    public var acknowledge: Bool?
    public var acknowledgement: String?
    public var callbackWithin: Duration?
    public var nextResponse: Duration?
    public var resolution: Duration?
    /// `retention:` of this adapter (unset values fall back to the global `retention:`).
    public var retention: RetentionRule?
    public var line: Int
    public var section: ConfigSection
}

/// One `context_providers:` entry, handed to its type's factory.
public struct ContextProviderSpec: Sendable {
    public var id: String
    public var type: String
    public var section: ConfigSection
}

/// A whole configuration file, validated.
public struct GatewayConfig: Sendable {
    public var file: String
    public var server = ServerSettings()
    public var storage = StorageSettings.sqlite(path: "data/switchboard.sqlite")
    /// `storage.commit_delay`: how long the ingest writer waits at most for more messages before
    /// committing a small group while others are arriving (``GroupCommitter``); 0 commits at once.
    public var commitDelay: Duration = .milliseconds(3)
    public var routing = RoutingSettings()
    public var delivery = DeliverySettings()
    public var logLevel = "info"
    public var agents: [Agent] = []
    /// Bearer tokens by agent id, read from each agent's `token_env`.
    public var tokens: [String: String] = [:]
    public var adapters: [AdapterSpec] = []
    public var contextProviderSpecs: [ContextProviderSpec] = []
    /// Built by ``ConfigLoader/load(path:factories:providerFactories:context:environment:)``.
    public var contextProviders: [any ContextProvider] = []
    /// `sla:`: policies chosen per conversation before the default clocks of `routing`.
    public var slaPolicies: [SLAPolicy] = []
    /// `rules:`: what happens to conversations, in the order written.
    public var rules: [Rule] = []
    /// `webhooks:`: integrations that receive events.
    public var webhooks: [WebhookEndpoint] = []
    /// `audit:`, `retention:` (with each adapter's own `retention:`), `console:`.
    public var audit = AuditSettings()
    public var retention = RetentionPolicy()
    public var console = ConsoleSettings()
}
