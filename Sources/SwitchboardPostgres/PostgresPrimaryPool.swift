import Logging
import PostgresNIO
import SwitchboardCore
import Synchronization

/// The store's connection pool, kept pointed at the server that accepts writes.
///
/// postgres-nio's pool connects to one host. With one server in the URL that is all there is. With
/// several (libpq's `host1:port1,host2:port2` and `target_session_attrs=read-write`), a watcher keeps a
/// small session of its own to the current server and asks it `pg_is_in_recovery()` every
/// ``checkInterval``; when that fails (the server died, or was demoted) it tries the servers in the
/// URL's order until one is a primary, then replaces the pool with one for that server and shuts the
/// old one down. Meanwhile operations fail as unavailable (503: platforms retry) — a connection refused
/// at once, or no pooled connection within the store's acquire deadline. The watcher does not move
/// away from a healthy primary, so an old primary that comes back (fenced or not) is not preferred
/// over the promoted one; fencing it is the cluster manager's job (Patroni).
final class PostgresPrimaryPool: Sendable {
    private struct Current: Sendable {
        var client: PostgresClient
        var runner: Task<Void, Never>
        var server: PostgresEndpoints.Server?
    }

    static let checkInterval: Duration = .milliseconds(500)
    /// A standby or dead host must not hold the watcher long.
    static let probeTimeout: TimeAmount = .seconds(2)

    private let endpoints: PostgresEndpoints?
    private let options: PostgresClient.Configuration.Options
    private let logger: Logger
    private let current: Mutex<Current>
    private let watcher = Mutex<Task<Void, Never>?>(nil)
    /// Set once the watcher has found a suitable server, or once a caller gave up waiting for one.
    private let firstRound = Atomic<Bool>(false)
    /// How many times the pool was replaced.
    private let generation = Atomic<Int>(0)

    /// A pool on one fixed configuration (no watcher).
    init(fixed configuration: PostgresClient.Configuration, logger: Logger) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        current = Mutex(Current(client: client, runner: Task { await client.run() }, server: nil))
        endpoints = nil
        options = configuration.options
        self.logger = logger
        firstRound.store(true, ordering: .relaxed)
    }

    /// A pool on `endpoints`' first server, followed to the primary when the URL asks for one or
    /// names several.
    init(endpoints: PostgresEndpoints, options: PostgresClient.Configuration.Options, logger: Logger) {
        let first = endpoints.servers[0]
        var configuration = endpoints.client(first)
        configuration.options = options
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        current = Mutex(Current(client: client, runner: Task { await client.run() }, server: first))
        self.endpoints = endpoints.followsPrimary ? endpoints : nil
        self.options = options
        self.logger = logger
        if self.endpoints == nil {
            firstRound.store(true, ordering: .relaxed)
        } else {
            let task = Task { [weak self] in
                guard let self else { return }
                await self.watch()
            }
            watcher.withLock { $0 = task }
        }
    }

    /// The pool to lease from now.
    var client: PostgresClient { current.withLock { $0.client } }

    /// How many times the pool moved to another server: a flush that acknowledges commits made with
    /// `synchronous_commit = off` must run in the generation those commits ran in (on a new primary
    /// it proves nothing about them).
    var currentGeneration: Int { generation.load(ordering: .acquiring) }

    /// Waits (once, at most `limit`) until the watcher has found the primary, so start-up work goes
    /// to it rather than failing on a standby listed first or on a dead first host — a gateway started
    /// mid-failover waits for the promotion.
    func settled(within limit: Duration = .seconds(10)) async {
        if firstRound.load(ordering: .acquiring) { return }
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !firstRound.load(ordering: .acquiring), clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        firstRound.store(true, ordering: .releasing)
    }

    /// Runs `operation` (a lease and its work), failing it as unavailable as soon as the pool is
    /// replaced: a query sent on a connection whose server has just died may never be answered, and
    /// must not hold its caller (a group of ingests) past the failover. What the abandoned operation
    /// did is what a dead server did: not acknowledged, so retried by the platform.
    func failingOnSwitch<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        guard endpoints != nil else { return try await operation() }
        await settled()  // the first operations (a migration) go to the primary, not to a standby listed first
        let start = generation.load(ordering: .acquiring)
        let work = Task { try await operation() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let first = FirstResult(continuation)
                Task { first.resume(await work.result) }
                Task {
                    while !first.isDone {
                        try? await Task.sleep(for: .milliseconds(100))
                        if self.generation.load(ordering: .acquiring) != start {
                            work.cancel()
                            first.resume(.failure(StoreError.unavailable("PostgreSQL: the primary moved")))
                        }
                    }
                }
            }
        } onCancel: {
            work.cancel()
        }
    }

    func shutdown() async {
        let task = watcher.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
        let runner = current.withLock { $0.runner }
        runner.cancel()
        await runner.value
    }

    private func watch() async {
        guard let endpoints else { return }
        var session: PostgresConnection?
        var id = 1
        while !Task.isCancelled {
            var healthy = false
            if let connection = session {
                do {
                    let primary = try await PostgresEndpoints.isPrimary(connection, logger: logger)
                    healthy = primary || !endpoints.needsPrimary
                } catch {
                    healthy = false
                }
                if !healthy {
                    try? await connection.close()
                    session = nil
                }
            }
            if !healthy {
                id += 1
                if let (server, connection) = await endpoints.connectFirstSuitable(id: id, logger: logger, connectTimeout: Self.probeTimeout) {
                    session = connection
                    use(server)
                    firstRound.store(true, ordering: .releasing)
                }
            }
            try? await Task.sleep(for: Self.checkInterval)
        }
        try? await session?.close()
    }

    /// Points the pool at `server` (a new pool; the old one is shut down, failing what waits on it).
    private func use(_ server: PostgresEndpoints.Server) {
        guard let endpoints else { return }
        let old: Current? = current.withLock { current in
            if current.server == server { return nil }
            var configuration = endpoints.client(server)
            configuration.options = options
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            let previous = current
            current = Current(client: client, runner: Task { await client.run() }, server: server)
            return previous
        }
        guard let old else { return }
        generation.add(1, ordering: .releasing)
        logger.notice(
            "PostgreSQL primary is now \(server)",
            metadata: ["previous": "\(old.server.map(\.description) ?? "?")"])
        old.runner.cancel()
    }
}
