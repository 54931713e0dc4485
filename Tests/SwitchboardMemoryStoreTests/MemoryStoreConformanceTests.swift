import SwitchboardCore
import SwitchboardStoreConformance
import Testing

/// The in-memory engine passes every store scenario, like the SQL engines.
@Suite struct MemoryStoreConformanceTests {
    static let maker = StoreMaker(engine: "memory") { (MemoryStore(), {}) }

    @Test(arguments: StoreConformance.scenarios)
    func conforms(_ scenario: StoreScenario) async throws {
        try await scenario.run(Self.maker)
    }
}
