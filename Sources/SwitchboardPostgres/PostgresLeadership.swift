import Logging
import PostgresNIO
import SwitchboardCore

/// Elects the one gateway that does once-per-deployment work, with a session-level PostgreSQL
/// advisory lock held on a connection of its own (outside the store's pool): whoever holds `pg_try_advisory_lock(lockKey)` leads;
/// the others try again every `retry`. When the leader dies its session ends, PostgreSQL releases the
/// lock and the next attempt elsewhere takes over. The leader checks its connection every `retry`
/// and steps down as soon as the check fails; on shutdown it closes the connection, releasing the lock.
public final class PostgresLeadership: Leadership {
    /// Distinct from the migration lock.
    public static let lockKey: Int64 = 0x5357_4244_4C45_4144  // "SWBDLEAD"

    private let connection: PostgresDedicatedConnection
    private let logger: Logger
    private let retry: Duration
    private let role = LeaderRole()

    /// Campaigns on the database at `url` (the store's).
    public init(
        url: String, password: String?, retry: Duration = .seconds(3), logger: Logger = Logger(label: "switchboard.postgres.leadership")
    ) throws {
        self.connection = try PostgresDedicatedConnection(url: url, password: password, logger: logger)
        self.retry = retry
        self.logger = logger
    }

    public var isLeader: Bool { role.isLeader }

    public func roleChanges() -> AsyncStream<Bool> { role.changes() }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                // One session for the whole campaign: closing it (or its death) releases the lock.
                try await connection.with { connection in
                    defer {
                        if self.isLeader { self.logger.notice("this gateway no longer runs the once-per-cluster work") }
                        self.role.set(false)
                    }
                    while !Task.isCancelled {
                        // A query on a connection whose server died meanwhile may never answer: a
                        // closed connection or no answer within `retry` ends the session (and the role).
                        if connection.isClosed { throw StoreError.unavailable("PostgreSQL: leadership session closed") }
                        if isLeader {
                            _ = try await answer(within: self.retry) { try await connection.query("SELECT 1", logger: self.logger).collect() }
                        } else {
                            let rows = try await answer(within: self.retry) {
                                try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: self.logger).collect()
                            }
                            if try rows.first?.decode(Bool.self, context: .default) == true {
                                self.role.set(true)
                                self.logger.notice("this gateway now runs the once-per-cluster work (SLA timers, reassignments, background adapters)")
                            }
                        }
                        try? await Task.sleep(for: self.retry)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("leader election failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: retry)
        }
    }
}
