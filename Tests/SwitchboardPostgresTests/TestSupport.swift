import Foundation
import Logging
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardSQLite
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Synchronization
import Testing

/// The SQL engines, between which deployments move (export/import).
enum Engine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
    static let sql: [Engine] = [.sqlite, .postgres]
}

/// A fresh prepared store of one SQL engine: an SQLite file in a temporary directory, or a new
/// database on the test process's PostgreSQL server. `cleanup()` closes and removes it.
struct StoreUnderTest: Sendable {
    let store: any Store
    let engine: Engine
    private let remove: @Sendable () async -> Void

    static func make(_ engine: Engine, agents: [Agent] = TestAgents.all) async throws -> StoreUnderTest {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-test-\(UUID().uuidString)")
            let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
            try await store.prepare(agents: agents)
            return StoreUnderTest(store: store, engine: engine) {
                try? await store.close()
                try? FileManager.default.removeItem(at: directory)
            }
        case .postgres:
            let database = try await PostgresTestServer.shared.createDatabase()
            let store = try await PostgresTestServer.shared.store(database: database)
            try await store.prepare(agents: agents)
            return StoreUnderTest(store: store, engine: engine) {
                try? await store.close()
                try? await PostgresTestServer.shared.dropDatabase(database)
            }
        }
    }

    private init(store: any Store, engine: Engine, remove: @escaping @Sendable () async -> Void) {
        self.store = store
        self.engine = engine
        self.remove = remove
    }

    func cleanup() async { await remove() }
}

/// One PostgreSQL server per test process (`e2e/support/postgres_server.py`), started on first
/// use; every test makes its own database on it. The helper stops the server and deletes its
/// directory when this process's end closes its stdin.
final class PostgresTestServer: Sendable {
    static let shared = PostgresTestServer()

    private let started = Mutex<Task<SupportProcess, any Error>?>(nil)
    private let counter = Atomic<Int>(0)

    func server() async throws -> SupportProcess {
        let task = started.withLock { task in
            if let task { return task }
            let new = Task { try await SupportProcess.start("postgres_server.py") }
            task = new
            return new
        }
        return try await task.value
    }

    func url(database: String) async throws -> String {
        let helper = try await server()
        return "postgres://\(helper.string("user"))@127.0.0.1:\(helper.int("port"))/\(database)"
    }

    func createDatabase() async throws -> String {
        let name = "sbtest_\(ProcessInfo.processInfo.processIdentifier)_\(counter.add(1, ordering: .relaxed).newValue)"
        try await admin { client in try await client.query("CREATE DATABASE \(unescaped: name)") }
        return name
    }

    func dropDatabase(_ name: String) async throws {
        try await admin { client in try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)") }
    }

    func store(database: String, pool: Int = 8, preparedStatements: Bool = true) async throws -> PostgresStore {
        try PostgresStore(url: try await url(database: database), pool: pool, preparedStatements: preparedStatements)
    }

    /// Runs `body` with a short-lived client on `database` (the `postgres` one unless named).
    func admin(database: String = "postgres", _ body: (PostgresClient) async throws -> Void) async throws {
        let helper = try await server()
        let config = PostgresClient.Configuration(
            host: "127.0.0.1", port: helper.int("port"), username: helper.string("user"), password: nil, database: database, tls: .disable)
        let client = PostgresClient(configuration: config, backgroundLogger: Logger(label: "test.admin"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(client)
        }
    }
}
