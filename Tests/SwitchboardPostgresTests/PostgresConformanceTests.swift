import SwitchboardStoreConformance
import SwitchboardTestSupport
import Testing

/// The PostgreSQL engine passes every store scenario, each in a new database on the test server:
/// with its hot statements prepared (the default) and with `prepared_statements: false`.
@Suite(.integration) struct PostgresConformanceTests {
    static let maker = maker(preparedStatements: true)

    static func maker(preparedStatements: Bool) -> StoreMaker {
        StoreMaker(engine: preparedStatements ? "postgres" : "postgres (unprepared)") {
            let database = try await PostgresTestServer.shared.createDatabase()
            let store = try await PostgresTestServer.shared.store(database: database, preparedStatements: preparedStatements)
            return (
            store,
                {
                    try? await store.close()
                    try? await PostgresTestServer.shared.dropDatabase(database)
                }
            )
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
