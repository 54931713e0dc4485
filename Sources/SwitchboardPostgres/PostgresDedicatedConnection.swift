import Logging
import PostgresNIO
import Synchronization

/// A connection of its own, outside the store's pool, for the long-lived sessions of a gateway among
/// several (the `LISTEN` of live events, the leader's advisory lock): they never take a pooled
/// connection from requests, and their session ends (releasing what it holds) when they close.
struct PostgresDedicatedConnection: Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    private static let nextID = Atomic<Int>(1)

    /// From the same `postgres://` URL (and password) as the store.
    init(url: String, password: String?, logger: Logger) throws {
        let pooled = try PostgresStore.configuration(url: url, password: password)
        let (_, tls) = try PostgresStore.parse(url: url)
        var configuration = PostgresConnection.Configuration(
            host: pooled.host ?? "127.0.0.1", port: pooled.port ?? 5432, username: pooled.username, password: pooled.password,
            database: pooled.database, tls: try tls.connection())
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens a connection, runs `body` on it and closes it, whatever happens.
    func with<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let id = Self.nextID.add(1, ordering: .relaxed).oldValue
        let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
