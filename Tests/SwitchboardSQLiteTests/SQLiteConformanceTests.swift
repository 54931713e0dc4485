import SwitchboardStoreConformance
import Testing

/// The SQLite engine passes every store scenario, each on its own temporary file.
@Suite struct SQLiteConformanceTests {
    static let maker = StoreMaker(engine: "sqlite") {
        let t = try TemporarySQLiteStore()
        return (t.store, { await t.remove() })
    }

    @Test(arguments: StoreConformance.scenarios)
    func conforms(_ scenario: StoreScenario) async throws {
        try await scenario.run(Self.maker)
    }
}
