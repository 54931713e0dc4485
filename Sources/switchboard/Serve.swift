import ArgumentParser
import Crypto
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore
import SwitchboardGateway
import SwitchboardLMTP
import SwitchboardPostgres
import SwitchboardSQLite
import SwitchboardTransport

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(name: .long, help: "Configuration file.")
    var config = "Config/switchboard.yaml"

    @Option(name: .long, help: "Listen on this port instead of the configured one (0: any free port).")
    var port: Int?

    func run() async throws {
        // From here on SIGTERM/SIGINT always end the process: at once while starting, after a
        // bounded graceful shutdown once serving.
        let lifecycle = ProcessLifecycle()
        // The log level comes from the file, so it is read before logging starts; the full load
        // below reports every problem of the file.
        let level = Logger.Level(rawValue: (try? ConfigLoader.load(path: config).logLevel) ?? "info") ?? .info
        LoggingSystem.bootstrap { label in GatewayLogHandler(label: label, level: level) }
        let logger = Logger(label: "switchboard")
        let transport = CurlTransport(logger: Logger(label: "switchboard.transport"))
        defer { transport.shutdown() }
        let mail = CurlMailTransport(logger: Logger(label: "switchboard.mail"))
        defer { mail.shutdown() }
        let loaded: GatewayConfig
        let adapters: [RegisteredAdapter]
        // Adapters are built before the store is open; it is attached here once it is.
        let adapterValues = AdapterValuesSlot()
        do {
            let context = AdapterContext(
                logger: Logger(label: "switchboard.adapter"), transport: transport, publicURL: "", mail: mail, values: adapterValues)
            (loaded, adapters) = try ConfigLoader.load(
                path: config, factories: AdapterCatalog.factories, providerFactories: AdapterCatalog.contextProviders, context: context)
        } catch {
            for problem in error.problems { printError(problem.description) }
            throw ExitCode(1)
        }
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))

        let store: any Store
        switch loaded.storage {
        case .sqlite(let path):
            do {
                store = try SQLiteStore(path: path, logger: Logger(label: "switchboard.sqlite"))
            } catch {
                printError("\(config): cannot open the SQLite database at \(path): \(error)")
                throw ExitCode(1)
            }
        case .postgres(let url, let password, let pool, _, let prepared):
            do {
                store = try PostgresStore(
                    url: url, password: password, pool: pool, preparedStatements: prepared, logger: Logger(label: "switchboard.postgres"))
            } catch {
                printError("\(config): cannot use the PostgreSQL database at \(url): \(error)")
                throw ExitCode(1)
            }
        }
        let waiting = ProcessLifecycle.exitUnlessDone(
            within: Self.storageDeadline,
            "\(config): cannot prepare the database (\(Self.describe(loaded.storage))): no answer within \(Self.storageDeadline.components.seconds) s"
        )
        do {
            try await store.prepare(agents: loaded.agents)
            waiting.cancel()
        } catch {
            printError("\(config): cannot prepare the database (\(Self.describe(loaded.storage))): \(error)")
            throw ExitCode(1)
        }
        adapterValues.attach(store)
        let key = try await store.gatewayKey()
        let audit = AuditTrail(store: store, logger: Logger(label: "switchboard.audit"))
        await audit.record(.gatewayStarted, actor: AuditActor.system, details: Self.startDetails(config: config, loaded: loaded))

        let registry = AdapterRegistry(adapters)
        let directory = AgentDirectory(agents: loaded.agents, tokens: loaded.tokens)
        // Several gateways on one PostgreSQL: live events cross gateways (LISTEN/NOTIFY) and one
        // elected gateway (advisory lock) keeps the promises and runs the background adapters; with SQLite, this process is alone.
        let relay: PostgresEventRelay?
        let leadership: any Leadership
        if let postgres = store as? PostgresStore, case .postgres(let url, let password, _, let sessionURL, _) = loaded.storage {
            // The LISTEN and the advisory lock need a session of their own: PostgreSQL itself (or a
            // session-mode pool) when `postgres` goes through a transaction-mode pgbouncer.
            let session = sessionURL ?? url
            relay = try PostgresEventRelay(store: postgres, url: session, password: password, logger: Logger(label: "switchboard.postgres.events"))
            leadership = try PostgresLeadership(url: session, password: password, logger: Logger(label: "switchboard.postgres.leadership"))
        } else {
            relay = nil
            leadership = SoleLeader()
        }
        let events = EventBus(relay: relay)
        let cluster = ClusterService(relay: relay, bus: events, leadership: leadership)
        let routing = loaded.routing
        let context = CustomerContext(providers: loaded.contextProviders, logger: Logger(label: "switchboard.context"))
        var policy = IngestPolicy(
            assignment: AssignmentPolicy(directory: directory, rules: routing.rules),
            teamOfAdapter: { registry[$0]?.team },
            firstResponse: { registry[$0]?.firstResponse ?? routing.firstResponse },
            callbackWithin: { registry[$0]?.callbackWithin ?? routing.callbackWithin },
            acknowledgement: Acknowledgements.policy(routing: routing, registry: registry, directory: directory),
            nextResponse: { registry[$0]?.nextResponse ?? routing.nextResponse ?? registry[$0]?.firstResponse ?? routing.firstResponse },
            resolution: { registry[$0]?.resolution ?? routing.resolution },
            businessHours: routing.businessHours, references: key.references, slaPolicies: loaded.slaPolicies,
            cachedContext: { context.cached($0) })
        // Rules and webhooks hear of events through the automation queue: ingestion writes them in
        // its transaction, everything else right after its commit (the journal).
        let automation = AutomationRouting(
            subscriptions: loaded.webhooks.map { AutomationRouting.Subscription(endpoint: $0.id, events: $0.events) }, rules: loaded.rules)
        if !automation.isEmpty { policy.journal = { automation.queued($0, at: Date()) } }
        if automation.rulesSeeCustomerMessages {
            policy.acknowledgementHold = RuleLimits.acknowledgementHold
            policy.acknowledgementHeldFor = automation.requestsRulesSee
        }
        let mediaLinks = MediaLinks(key: key, publicURL: loaded.server.publicURL)
        let worker = DeliveryWorker(
            store: store, adapters: registry, events: events, settings: loaded.delivery, key: key, links: mediaLinks, logger: logger)
        let rules = RuleEngine(
            rules: loaded.rules, store: store, assignment: AssignmentPolicy(directory: directory, rules: routing.rules), sla: policy.sla,
            adapters: registry, canned: SavedReplies(store: store, directory: directory, references: key.references),
            context: context.isEmpty ? nil : context, events: events, references: key.references,
            wakeOutbox: { worker.wake() }, logger: Logger(label: "switchboard.rules"))
        let ruleRunner = RuleRunner(engine: rules, queue: store, logger: Logger(label: "switchboard.rules"))
        let scheduledRules = ScheduledRules(engine: rules, store: store, leadership: leadership, logger: Logger(label: "switchboard.rules"))
        let dispatcher = WebhookDispatcher(
            endpoints: loaded.webhooks, store: store, transport: transport, logger: Logger(label: "switchboard.webhooks"))
        let wakeAutomation: @Sendable () -> Void = {
            ruleRunner.wake()
            dispatcher.wake()
        }
        let journal = EventJournal(store: store, routing: automation, logger: logger, onWritten: wakeAutomation)
        if !automation.isEmpty { events.record { journal.record($0, conversation: $1, cause: $2) } }
        let prefetch: (@Sendable (Int64) -> Void)? = context.isEmpty ? nil : Self.prefetcher(store: store, context: context)
        // Media a platform only names is fetched by a durable job, off the ingest path (leader-only).
        let media = MediaFetchWorker(
            store: store, adapters: registry, events: events, schedule: loaded.delivery, leadership: leadership,
            logger: Logger(label: "switchboard.media"))
        let notifier = IngestNotifier(
            events: events, wakeOutbox: { worker.wake() }, prefetch: prefetch, wakeAutomation: wakeAutomation,
            wakeMedia: { media.wake() })
        let committer = GroupCommitter(store: store, policy: policy, commitDelay: loaded.commitDelay, logger: logger, onCommitted: notifier.published)
        var pipeline = InboundPipeline(adapters: registry, committer: committer, logger: logger)
        pipeline.mailboxPositions = store
        pipeline.identityJoiner = IdentityJoiner(
            store: store, events: events, normalizer: policy.normalizer, logger: Logger(label: "switchboard.identities"))
        let runner = AdapterRunner(adapters: registry, sink: pipeline, leadership: leadership, logger: logger)
        let presence = ConversationPresence(events: events, expiry: loaded.server.presenceExpiry)
        let keeper = PromiseKeeper(
            store: store, policy: AssignmentPolicy(directory: directory, rules: loaded.routing.rules), events: events,
            leadership: leadership, logger: logger, audit: audit)
        let retention = RetentionKeeper(
            store: store, policy: loaded.retention, audit: audit, auditRetention: loaded.audit.retention, leadership: leadership,
            logger: Logger(label: "switchboard.retention"))
        var components = GatewayComponents(
            pipeline: pipeline,
            desk: AgentDesk(
                directory: directory, store: store, adapters: registry, events: events, outbox: worker, references: key.references,
                rules: loaded.routing.rules, businessHours: routing.businessHours,
                normalizer: policy.normalizer, context: context, presence: presence, sla: policy.sla, audit: audit),
            events: events, store: store, registry: metrics, maxBodyBytes: loaded.server.maxBodyBytes)
        components.publicURL = loaded.server.publicURL
        components.mediaLinks = mediaLinks
        components.desk.maxUploadBytes = loaded.server.maxUploadBytes
        components.leadership = leadership
        components.tokens = loaded.tokens
        components.trustedProxies = loaded.server.trustedProxies
        components.rules = rules
        components.integrations = Integrations(endpoints: loaded.webhooks, store: store, dispatcher: dispatcher)
        components.journal = automation.isEmpty ? nil : journal
        components.trust = TrustComponents(console: loaded.console, transport: transport, stateKey: key.derivedKey("oidc-state"))
        components.connectionLimits = ConnectionLimits(
            headerTimeout: loaded.server.headerTimeout, bodyTimeout: loaded.server.bodyTimeout,
            idleTimeout: loaded.server.idleTimeout, maxConnections: loaded.server.maxConnections)
        // Agents mentioned in notes see those conversations' live events.
        try await components.desk.loadReadGrants()
        var services: [any Service] = [
            journal, committer, worker, runner, ruleRunner, dispatcher, keeper, scheduledRules, cluster, presence, retention, media,
            UploadPruner(store: store, leadership: leadership, logger: Logger(label: "switchboard.uploads")), ProcessMemory(),
        ]
        if let lmtp = try await Self.lmtpServer(loaded, registry: registry, pipeline: pipeline, config: config) {
            // After the committer: it stops before it, so its last transactions are still stored.
            services.append(lmtp)
        }
        let orphans = try await components.desk.redistributeOrphans()
        if orphans > 0 { logger.notice("redistributed conversations of agents removed from the configuration", metadata: ["count": "\(orphans)"]) }
        let host = loaded.server.host
        let listenPort = port ?? loaded.server.port
        do {
            try await Gateway.serve(
                components, host: host, port: listenPort, services: services, logger: logger
            ) { actualPort in
                // Among several gateways, ready means hearing the others too: an event another
                // gateway emits just after "listening" must reach this one's agents.
                if let relay, !(await relay.waitUntilListening(timeout: .seconds(10))) {
                    logger.warning("not yet listening for other gateways' events; their live events are missed until it is")
                }
                lifecycle.serving()
                // One line on stdout that scripts and tests wait for.
                FileHandle.standardOutput.write(Data("switchboard listening on http://\(host):\(actualPort)\n".utf8))
            } onServerFailed: { error in
                // Said at once: stopping the other services may take a moment.
                if lifecycle.isServing {
                    printError("switchboard: the HTTP server stopped: \(error)")
                } else {
                    printError("\(config): cannot listen on \(host):\(listenPort): \(error)")
                }
                lifecycle.failing()
            }
        } catch is ServerStartFailure {
            throw ExitCode(1)
        } catch {
            printError("switchboard: stopped by an error: \(error)")
            throw ExitCode(1)
        }
        events.finishAll()
        try await store.close()
        logger.info("stopped")
    }

    /// How long start-up waits for the database (a PostgreSQL server that does not answer).
    static let storageDeadline: Duration = .seconds(15)

    static func describe(_ storage: StorageSettings) -> String {
        switch storage {
        case .sqlite(let path): return "SQLite \(path)"
        case .postgres(let url, _, _, _, _): return "PostgreSQL \(url)"
        }
    }
}

extension Serve {
    /// What the audit trail records of a start: the configuration's SHA-256 (the file holds no
    /// secrets), so a changed configuration shows as a changed hash.
    static func startDetails(config: String, loaded: GatewayConfig) -> [String: String] {
        let bytes = FileManager.default.contents(atPath: config) ?? Data()
        return [
            "config": config, "config_sha256": Signatures.hex(SHA256.hash(data: bytes)),
            "storage": { if case .postgres = loaded.storage { "postgres" } else { "sqlite" } }(),
            "pid": String(ProcessInfo.processInfo.processIdentifier),
        ]
    }

    /// The LMTP listeners the adapters ask for, already listening; nil when none does. A listener
    /// that cannot be opened (or TLS files that do not load) ends the start with the reason.
    static func lmtpServer(
        _ loaded: GatewayConfig, registry: AdapterRegistry, pipeline: InboundPipeline, config: String
    ) async throws -> LMTPServer? {
        let listeners: [LMTPListener]
        do {
            listeners = try LMTPListener.plan(registry.all.map(\.adapter), maxBodyBytes: loaded.server.maxBodyBytes)
        } catch {
            for problem in error.problems { printError(problem) }
            throw ExitCode(1)
        }
        guard !listeners.isEmpty else { return nil }
        let limits = LMTPLimits(
            commandTimeout: loaded.server.headerTimeout, dataTimeout: loaded.server.bodyTimeout, idleTimeout: loaded.server.idleTimeout)
        let server = LMTPServer(listeners: listeners, pipeline: pipeline, limits: limits, logger: Logger(label: "switchboard.lmtp"))
        do {
            try await server.bind()
        } catch {
            printError("\(config): \(error)")
            throw ExitCode(1)
        }
        return server
    }

    /// Warms the context cache for a customer off the ingestion path.
    static func prefetcher(store: any Store, context: CustomerContext) -> @Sendable (Int64) -> Void {
        { customer in
            Task {
                guard await context.wantsPrefetch(), let detail = try? await store.customer(customer, now: Date()) else { return }
                await context.prefetch(detail.contextKeys)
            }
        }
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
