import SwitchboardStoreConformance
import SwitchboardTestSupport
import Testing

/// The PostgreSQL engine passes every store scenario, each in a new database on the test server:
/// with its hot statements prepared (the default) and with `prepared_statements: false`.
@Suite(.integration) struct PostgresConformanceTests {
    static let maker = maker(preparedStatements: true)

    static func maker(preparedStatements: Bool) -> StoreMaker {
        StoreMaker(engine: preparedStatements ? "postgres" : "postgres (unprepared)") {
            await ScenarioDatabases.gate.enter()
            do {
                let database = try await PostgresTestServer.shared.createDatabase()
                let store = try await PostgresTestServer.shared.store(database: database, preparedStatements: preparedStatements)
                return (
                    store,
                    {
                        try? await store.close()
                        try? await PostgresTestServer.shared.dropDatabase(database)
                        await ScenarioDatabases.gate.leave()
                    }
                )
            } catch {
                await ScenarioDatabases.gate.leave()
                throw error
            }
        }
    }

    @Test(arguments: StoreConformance.scenarios)
    func conforms(_ scenario: StoreScenario) async throws {
        try await scenario.run(Self.maker)
    }

    /// The same scenarios with every statement sent unnamed (as behind a transaction-mode pgbouncer < 1.21).
    @Test(arguments: StoreConformance.scenarios)
    func conformsWithoutPreparedStatements(_ scenario: StoreScenario) async throws {
        try await scenario.run(Self.maker(preparedStatements: false))
    }
}

/// At most a few dozen scenario databases at once: each migrates in one transaction, and both runs'
/// scenarios migrating together (some 180) exhaust the test server's lock table ("out of shared memory").
actor ScenarioDatabases {
    static let gate = ScenarioDatabases(limit: 24)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        free = limit
    }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
