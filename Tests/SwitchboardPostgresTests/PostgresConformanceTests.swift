import SwitchboardStoreConformance
import SwitchboardTestSupport
import Testing

/// The PostgreSQL engine passes every store scenario, each in a new database on the test server.
@Suite(.integration) struct PostgresConformanceTests {
    static let maker = StoreMaker(engine: "postgres") {
        let database = try await PostgresTestServer.shared.createDatabase()
        let store = try await PostgresTestServer.shared.store(database: database)
        return (
            store,
            {
                try? await store.close()
                try? await PostgresTestServer.shared.dropDatabase(database)
            }
        )
    }

    @Test(arguments: StoreConformance.scenarios)
    func conforms(_ scenario: StoreScenario) async throws {
        try await scenario.run(Self.maker)
    }
}
