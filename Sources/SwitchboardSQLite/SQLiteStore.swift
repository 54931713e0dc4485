import Foundation
import GRDB
import Logging
import SwitchboardCore

/// The embedded default store: one SQLite file in WAL mode. Reads run concurrently; writes go
/// through GRDB's single writer, and inbound messages arrive there in groups (see
/// ``GroupCommitter``), so one fsync covers many messages.
///
/// `synchronous=FULL`: a 2xx must survive a power loss, not only a crash (ingestion flushes the WAL
/// itself, overlapping the next group: ``SQLiteWALSync``). An SQLite database is served by one
/// gateway process; several gateways share PostgreSQL instead.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    let logger: Logger
    let walSync: SQLiteWALSync
    /// The words of messages, in their own file (``SQLiteMessageIndex``), and what keeps it current.
    let searchIndex: SQLiteMessageIndex
    let searchIndexing: SQLiteSearchIndexing

    /// The WAL's checkpoint threshold, in pages: SQLite's own default (1,000, 4 MB). 4,000 wrote 6–9 %
    /// fewer bytes per message (hot pages copied once per longer checkpoint) but, in alternating
    /// 4-minute soaks, doubled the ingest p99 (10–26 ms against 8–12): each checkpoint's burst of
    /// writes and its fsync of the database file compete with the WAL's flush.
    public static let defaultCheckpointPages: Int32 = 1000

    /// The writer connection's page cache, in KiB (readers keep SQLite's default of 2 MB each).
    static let writerCacheKiB = 32 * 1024

    /// Opens (creating if needed) the database at `path`. `checkpointPages`: the WAL's checkpoint
    /// threshold (tests make it small to see checkpoints happen).
    public init(
        path: String, logger: Logger = Logger(label: "switchboard.sqlite"), checkpointPages: Int32 = SQLiteStore.defaultCheckpointPages
    ) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The index file first: every reader attaches it as it opens.
        let searchIndex = try SQLiteMessageIndex(databasePath: path)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.maximumReaderCount = 8
        config.label = "switchboard"
        config.prepareDatabase { db in
            // Readers only: the writer never touches the index, and its BEGIN IMMEDIATE would lock it.
            if db.configuration.readonly {
                try db.execute(sql: "ATTACH DATABASE ? AS \(SQLiteMessageIndex.schema)", arguments: [searchIndex.path])
            }
        }
        self.pool = try DatabasePool(path: path, configuration: config)
        self.searchIndex = searchIndex
        self.searchIndexing = SQLiteSearchIndexing(logger: logger)
        self.logger = logger
        self.walSync = SQLiteWALSync(databasePath: pool.path, checkpointPages: checkpointPages, logger: logger)
        // GRDB sets synchronous=NORMAL on the writer after prepareDatabase; FULL is set here, after
        // opening, on the one connection that commits.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // What erasure and retention remove must not linger in free space: deleted and
            // overwritten content is zeroed (the writer does every delete).
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // The writer walks the same index pages for every message (identities, idempotency, the
            // conversations' indexes): with SQLite's default 2 MB cache, a database of a million
            // messages already had it reading pages back from the kernel for each one.
            try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
            try walSync.install(on: db)
        }
    }

    /// After a write of thousands of rows outside ingestion (history, import): the WAL is
    /// checkpointed whole and emptied (see ``SQLiteWALSync/checkpointAll(_:)``).
    func checkpointAll() async throws {
        try await pool.writeWithoutTransaction { db in walSync.checkpointAll(db) }
    }

    /// The writer connection's `synchronous` level (2 = FULL), so tests can prove durability settings.
    public func synchronousLevel() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func prepare(agents: [Agent]) async throws {
        try SQLiteSchema.migrator.migrate(pool)
        // One pass before anything is stored: an index ahead of this database (one restored from a
        // copy) is told by the newest message id, which new messages would soon pass again.
        try await catchUpSearch(deadline: .now)
        startSearchIndexing()
        try await pool.write { db in
            try db.execute(sql: "UPDATE agents SET configured = 0")
            for agent in agents {
                try db.execute(
                    sql: "INSERT INTO agents (id, configured) VALUES (?, 1) ON CONFLICT(id) DO UPDATE SET configured = 1",
                    arguments: [agent.id])
            }
        }
    }

    public func gatewayKey() async throws -> GatewayKey {
        let bytes = try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO gateway_secrets (name, value, created_at) VALUES ('gateway', ?, ?) ON CONFLICT(name) DO NOTHING",
                arguments: [Data(GatewayKey.generate()), Date().epoch])
            return try Data.fetchOne(db, sql: "SELECT value FROM gateway_secrets WHERE name = 'gateway'") ?? Data()
        }
        return GatewayKey(Array(bytes))
    }

    public func checkHealth() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func close() async throws {
        await searchIndexing.stop()
        walSync.close()
        try pool.close()
        try searchIndex.close()
    }

    public func agentStatus(_ agentID: String) async throws -> AgentStatus {
        try await pool.read { db in
            let raw = try String.fetchOne(db, sql: "SELECT status FROM agents WHERE id = ?", arguments: [agentID])
            return raw.flatMap(AgentStatus.init(rawValue:)) ?? .offline
        }
    }

    public func agentLoads() async throws -> [String: AgentLoad] {
        try await pool.read { db in try Self.agentLoads(db) }
    }

    public func setAgentStatus(_ agentID: String, _ status: AgentStatus) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE agents SET status = ? WHERE id = ?", arguments: [status.rawValue, agentID])
        }
    }
}

extension Date {
    var epoch: Double { timeIntervalSince1970 }
    init(epoch: Double) { self.init(timeIntervalSince1970: epoch) }
}

extension Row {
    func date(_ column: String) -> Date? {
        (self[column] as Double?).map(Date.init(epoch:))
    }
}
