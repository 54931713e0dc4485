import SwitchboardStoreTestSupport
import Testing

/// What only the SQLite engine promises. Its behaviour as a store is the conformance suite's.
@Suite struct SQLiteDurabilityTests {
    @Test func writerIsDurableAgainstPowerLoss() async throws {
        try await TemporarySQLiteStore.with { store in
            try await store.prepare(agents: TestAgents.all)
            // 2 = FULL: GRDB's pool would otherwise leave its writer at NORMAL.
            #expect(try await store.synchronousLevel() == 2)
        }
    }
}
