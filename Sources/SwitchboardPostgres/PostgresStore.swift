import Foundation
import Logging
import PostgresNIO
import SwitchboardCore
import Synchronization

/// The store for deployments that outgrow one machine: several gateway processes share one
/// PostgreSQL database through postgres-nio's connection pool.
///
/// Every decision that was safe in one SQLite process is made safe across processes by the
/// database: idempotency by unique indexes (a concurrent duplicate fails with a unique violation and
/// the whole group is retried, then seen as a duplicate), a new customer's identity likewise (the group
/// retried finds the customer another gateway made), routing decisions taken while holding the
/// configured agents' rows (`FOR UPDATE`, always in id order; ingest groups that do not route hold
/// them `FOR SHARE`), and outbox claims made with `FOR UPDATE SKIP LOCKED` and a lease.
/// Timestamps are epoch seconds (`double precision`), as in the SQLite schema.
public final class PostgresStore: Store, Sendable {
    /// The pool to lease from now (replaced when the primary moves: see ``PostgresPrimaryPool``).
    var client: PostgresClient { pool.client }
    /// Changes each time the pool follows the primary to another server (see ``PostgresPrimaryPool``).
    var primaryGeneration: Int { pool.currentGeneration }
    let logger: Logger
    private let pool: PostgresPrimaryPool
    /// This store's row in `ingest_flushes` (see ``syncCommitted()``); a clash of two gateways on one
    /// slot only makes their flushes take turns.
    let flushSlot = Int32.random(in: 0..<256)
    /// What ingest groups committed since the last flush (see ``syncCommitted()``).
    let unflushed = Mutex(Unflushed())
    /// Whether the last ingest group routed: the next starts holding the agents' rows the same way
    /// (``IngestGroup/AgentsLock``).
    let lastGroupRouted = Atomic<Bool>(false)
    /// Whether the hot statements (an ingest group's, claims) go by name, prepared once per
    /// connection (`storage.prepared_statements`); off for a transaction-mode pgbouncer before 1.21.
    let preparedStatements: Bool

    /// Connects lazily (the pool opens connections on demand) to the database described by `configuration`.
    public init(
        configuration: PostgresClient.Configuration, preparedStatements: Bool = true, logger: Logger = Logger(label: "switchboard.postgres")
    ) {
        self.pool = PostgresPrimaryPool(fixed: configuration, logger: logger)
        self.preparedStatements = preparedStatements
        self.logger = logger
    }

    /// Connects to `postgres://user[:password]@host[:port]/database`, or to the primary among several
    /// hosts (`host1:port1,host2:port2` with `target_session_attrs=read-write`), following it when it
    /// moves; `password` (from the environment, never the file) wins over one in the URL; `pool` caps
    /// the connections; `preparedStatements` sends the hot statements by name.
    public init(
        url: String, password: String? = nil, pool: Int = 20, preparedStatements: Bool = true,
        logger: Logger = Logger(label: "switchboard.postgres")
    ) throws {
        let endpoints = try PostgresEndpoints(url: url, password: password)
        var options = PostgresClient.Configuration.Options()
        options.maximumConnections = max(1, pool)
        options.connectTimeout = .seconds(5)
        self.pool = PostgresPrimaryPool(endpoints: endpoints, options: options, logger: logger)
        self.preparedStatements = preparedStatements
        self.logger = logger
    }

    /// Parses a `postgres://` (or `postgresql://`) URL, `sslmode`/`sslrootcert` as libpq reads them
    /// (see ``PostgresTLS``); of a multi-host URL, the first host.
    public static func configuration(url: String, password: String?) throws -> PostgresClient.Configuration {
        let endpoints = try PostgresEndpoints(url: url, password: password)
        return endpoints.client(endpoints.servers[0])
    }

    static func parse(url: String) throws -> (URLComponents, PostgresTLS) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql", let host = components.host, !host.isEmpty
        else {
            throw StoreError.failed("not a postgres:// URL: \(url)")
        }
        return (components, try PostgresTLS(query: components.queryItems ?? []))
    }

    public func prepare(agents: [Agent]) async throws {
        await pool.settled()
        try await write { db in
            // Two gateways starting together: the second waits here and then finds nothing to do.
            try await db.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
            try await PostgresSchema.migrate(db)
            // Messages a gateway stored and stopped before flushing get their search words now.
            try await db.execute(PostgresQuery(unsafeSQL: PostgresSearchSchema.writeDocuments(of: nil) + " SELECT 1"))
            try await db.execute("UPDATE agents SET configured = 0")
            for agent in agents.sorted(by: { $0.id < $1.id }) {
                try await db.execute(
                    "INSERT INTO agents (id, configured) VALUES (\(agent.id), 1) ON CONFLICT (id) DO UPDATE SET configured = 1")
            }
        }
    }

    /// The migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try await db.values("SELECT version FROM schema_migrations ORDER BY version", as: String.self) }
    }

    public func gatewayKey() async throws -> GatewayKey {
        let bytes = try await write { db in
            // Two gateways starting together: one INSERT wins, both read the same key.
            try await db.execute(
                """
                INSERT INTO gateway_secrets (name, value, created_at) VALUES ('gateway', \(Data(GatewayKey.generate())), \(Date().epoch))
                ON CONFLICT (name) DO NOTHING
                """)
            return try await db.value("SELECT value FROM gateway_secrets WHERE name = 'gateway'", as: Data.self) ?? Data()
        }
        return GatewayKey(Array(bytes))
    }

    public func checkHealth() async throws {
        _ = try await read { db in try await db.value("SELECT 1", as: Int.self) }
    }

    public func close() async throws {
        await pool.shutdown()
    }

    public func agentStatus(_ agentID: String) async throws -> AgentStatus {
        try await read { db in
            let raw = try await db.value("SELECT status FROM agents WHERE id = \(agentID)", as: String.self)
            return raw.flatMap(AgentStatus.init(rawValue:)) ?? .offline
        }
    }

    public func agentLoads() async throws -> [String: AgentLoad] {
        try await read { db in try await Self.agentLoads(db, lock: false) }
    }

    public func setAgentStatus(_ agentID: String, _ status: AgentStatus) async throws {
        try await write { db in
            try await db.execute("UPDATE agents SET status = \(status.rawValue) WHERE id = \(agentID)")
        }
    }

    // MARK: - Connections, transactions, errors

    /// How long an operation may wait for a pooled connection before the database counts as
    /// unavailable (the pool itself keeps trying to connect for much longer).
    static let acquireTimeout: Duration = .seconds(5)

    /// Runs `body` on a pooled connection without a transaction (reads).
    func read<T: Sendable>(_ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        do {
            return try await pool.failingOnSwitch {
                try await Self.withAcquireDeadline { leased in
                    try await self.client.withConnection { connection in
                        leased()
                        return try await body(PGSession(connection: connection, logger: self.logger, namesStatements: self.preparedStatements))
                    }
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `body` in one transaction; retried from the start (a few times) when PostgreSQL aborts it
    /// for a conflict another gateway caused: a unique violation, a deadlock or a serialization failure.
    func write<T: Sendable>(_ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await pool.failingOnSwitch {
                    try await Self.withAcquireDeadline { leased in
                        try await self.client.withConnection { connection in
                            leased()
                            return try await connection.withTransaction(logger: self.logger) { connection in
                                try await body(PGSession(connection: connection, logger: self.logger, namesStatements: self.preparedStatements))
                            }
                        }
                    }
                }
            } catch {
                let error = Self.unwrapped(error)
                if attempt < 6, let state = Self.sqlState(error), Self.retryableStates.contains(state) {
                    logger.debug("transaction retried after \(state) (attempt \(attempt))")
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...(10 * attempt))))
                    continue
                }
                throw Self.mapped(error)
            }
        }
    }

    /// Runs `operation`, failing it with 503 if it has not obtained its connection (signalled by
    /// calling `leased`) within ``acquireTimeout``. Once leased, the operation runs to its end.
    static func withAcquireDeadline<T: Sendable>(
        _ operation: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
    ) async throws -> T {
        let leased = LeaseFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation { leased.set() } }
            group.addTask {
                try await Task.sleep(for: acquireTimeout)
                if !leased.isSet {
                    throw StoreError.unavailable("PostgreSQL: no connection within \(acquireTimeout)")
                }
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }

    /// unique_violation, deadlock_detected, serialization_failure.
    static let retryableStates: Set<String> = ["23505", "40P01", "40001"]

    static func unwrapped(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            return transaction.closureError ?? transaction.commitError ?? transaction.beginError ?? transaction.rollbackError ?? error
        }
        return error
    }

    static func sqlState(_ error: any Error) -> String? {
        guard let error = error as? PSQLError, error.code == .server else { return nil }
        return error.serverInfo?[.sqlState]
    }

    /// Errors that mean the database cannot be reached (or is shutting down) become 503
    /// `storage_unavailable`, so channels retry later; a StoreError passes through.
    static func mapped(_ error: any Error) -> any Error {
        let error = unwrapped(error)
        if error is StoreError || error is CancellationError { return error }
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? ""
                // 08: connection exception; 53: insufficient resources; 57P0x: shutting down / starting up;
                // 25006: a write reached a standby (the primary moved, the pool follows within a second).
                if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state == "25006" {
                    return StoreError.unavailable("PostgreSQL: \(error.serverInfo?[.message] ?? state)")
                }
                return error
            }
            if error.code == .connectionError || error.code == .serverClosedConnection || error.code == .clientClosedConnection
                || error.code == .poolClosed || error.code == .uncleanShutdown || error.code == .sslUnsupported
            {
                return StoreError.unavailable("PostgreSQL unreachable: \(error.code)")
            }
            return error
        }
        // The pool's own errors (shut down, request cancelled) and NIO's connect errors.
        let kind = String(reflecting: type(of: error))
        if ["ConnectionPool", "NIOConnectionError", "ChannelError", "IOError"].contains(where: kind.contains) {
            return StoreError.unavailable("PostgreSQL unreachable: \(error)")
        }
        return error
    }
}

/// Whether an operation got its connection, shared with its watchdog.
private final class LeaseFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
