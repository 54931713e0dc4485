import Logging
import PostgresNIO
import SwitchboardCore
import Synchronization

/// A connection of its own, outside the store's pool, for the long-lived sessions of a gateway among
/// several (the `LISTEN` of live events, the leader's advisory lock): they never take a pooled
/// connection from requests, and their session ends (releasing what it holds) when they close.
/// With several hosts in the URL it goes to the first that suits (the primary, with
/// `target_session_attrs=read-write`): a standby can neither `LISTEN` nor be where the leader's lock counts.
struct PostgresDedicatedConnection: Sendable {
    let endpoints: PostgresEndpoints
    let logger: Logger
    private static let nextID = Atomic<Int>(1)

    /// From the same `postgres://` URL (and password) as the store, or `postgres_session`.
    init(url: String, password: String?, logger: Logger) throws {
        self.endpoints = try PostgresEndpoints(url: url, password: password)
        _ = try endpoints.tls.connection()  // an unreadable certificate is a start-up error, not a retry loop
        self.logger = logger
    }

    /// Opens a connection, runs `body` on it and closes it, whatever happens.
    func with<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let id = Self.nextID.add(1, ordering: .relaxed).oldValue
        let connection: PostgresConnection
        if endpoints.followsPrimary {
            guard let (_, found) = await endpoints.connectFirstSuitable(id: id, logger: logger) else {
                throw StoreError.unavailable("PostgreSQL: none of \(endpoints.servers) accepts writes")
            }
            connection = found
        } else {
            connection = try await PostgresConnection.connect(configuration: try endpoints.connection(endpoints.servers[0]), id: id, logger: logger)
        }
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
