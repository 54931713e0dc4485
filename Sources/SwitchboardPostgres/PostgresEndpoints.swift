import Foundation
import PostgresNIO
import SwitchboardCore
import Synchronization

/// The servers a `postgres://` URL names and what a session needs of them, as libpq reads the URL:
/// `postgres://user@host1:5432,host2:5432/database?target_session_attrs=read-write&sslmode=…` lists the
/// servers to try in order; with `target_session_attrs=read-write` (or `primary`) only one that accepts
/// writes (`pg_is_in_recovery()` false) will do. One host without it is the plain single-server URL.
struct PostgresEndpoints: Sendable {
    /// One `host:port`.
    struct Server: Sendable, Hashable, CustomStringConvertible {
        var host: String
        var port: Int
        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    var servers: [Server]
    var username: String
    var password: String?
    var database: String
    var tls: PostgresTLS
    /// `target_session_attrs=read-write|primary`.
    var needsPrimary: Bool

    /// Whether the store must find (and follow) the primary among several servers.
    var followsPrimary: Bool { servers.count > 1 || needsPrimary }

    init(url: String, password: String?) throws {
        let singles = MultiHostURL.hosts(url)?.map(\.url) ?? [url]
        var servers: [Server] = []
        var first: URLComponents?
        var tls: PostgresTLS?
        for single in singles {
            let (components, parsedTLS) = try PostgresStore.parse(url: single)
            servers.append(Server(host: components.host!, port: components.port ?? 5432))
            if first == nil {
                first = components
                tls = parsedTLS
            }
        }
        guard let first, let tls else { throw StoreError.failed("not a postgres:// URL: \(url)") }
        self.servers = servers
        self.username = first.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = password ?? first.password?.removingPercentEncoding
        self.database = first.path.split(separator: "/").first.map(String.init)?.removingPercentEncoding ?? username
        self.tls = tls
        let attrs = first.queryItems?.last { $0.name == "target_session_attrs" }?.value ?? "any"
        guard ["any", "read-write", "primary"].contains(attrs) else {
            throw StoreError.failed("target_session_attrs=\(attrs) is not one of any, read-write, primary")
        }
        self.needsPrimary = attrs != "any"
    }

    /// The pool's configuration for `server`.
    func client(_ server: Server) -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: server.host, port: server.port, username: username, password: password, database: database, tls: tls.client)
    }

    /// A single connection's configuration for `server`.
    func connection(_ server: Server, connectTimeout: TimeAmount = .seconds(5)) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: username, password: password, database: database, tls: try tls.connection())
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// Whether the server behind `connection` accepts writes (is not a standby in recovery); throws
    /// when the connection is closed or the server does not answer within `limit`.
    static func isPrimary(_ connection: PostgresConnection, logger: Logger, within limit: Duration = .seconds(2)) async throws -> Bool {
        if connection.isClosed { throw StoreError.unavailable("PostgreSQL: connection closed") }
        return try await answer(within: limit) {
            let rows = try await connection.query("SELECT pg_is_in_recovery()", logger: logger).collect()
            return try rows.first?.decode(Bool.self, context: .default) == false
        }
    }

    /// Connects to the servers in order and returns the first connection that suits
    /// (`needsPrimary`: a primary), with its server; nil when none does now.
    func connectFirstSuitable(id: Int, logger: Logger, connectTimeout: TimeAmount = .seconds(5)) async -> (Server, PostgresConnection)? {
        for server in servers {
            guard let configuration = try? connection(server, connectTimeout: connectTimeout),
                let connection = try? await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            else { continue }
            if !needsPrimary { return (server, connection) }
            if (try? await Self.isPrimary(connection, logger: logger)) == true { return (server, connection) }
            try? await connection.close()
        }
        return nil
    }
}

/// Runs `body` but gives up after `limit`, even if `body` does not return (a query on a connection
/// whose server died between two queries may never answer): the long-lived sessions use it for the
/// checks that tell them the server is gone.
func answer<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let first = FirstResult(continuation)
        let work = Task {
            do {
                first.resume(.success(try await body()))
            } catch {
                first.resume(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: limit)
            work.cancel()
            first.resume(.failure(StoreError.unavailable("PostgreSQL: no answer within \(limit)")))
        }
    }
}

/// A continuation resumed by whichever comes first.
final class FirstResult<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<T, any Error>) {
        continuation.withLock { continuation in
            continuation?.resume(with: result)
            continuation = nil
        }
    }

    var isDone: Bool { continuation.withLock { $0 == nil } }
}
