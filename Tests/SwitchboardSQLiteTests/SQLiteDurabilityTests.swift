import Foundation
import SwitchboardCore
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

    /// Ingestion commits at `synchronous=OFF` and flushes the WAL itself; every other write, and every
    /// checkpoint, must still run at FULL, and the WAL must still be checkpointed as it grows.
    @Test func deferredCommitsLeaveTheWriterAtFullAndTheWALCheckpointed() async throws {
        let temporary = try TemporarySQLiteStore(checkpointPages: 1000)
        defer { Task { await temporary.remove() } }
        let store = temporary.store
        try await store.prepare(agents: TestAgents.all)
        let words = (0..<40).map { "word\($0)" }.joined(separator: " ")
        for group in 0..<60 {
            let items = (0..<100).map { n in inbound("m-\(group)-\(n)", from: "customer-\(n % 500 + group)", text: "\(words) \(group) \(n)") }
            let outcomes = try await store.ingestCommittingLater(items, policy: TestAgents.policy)
            #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } })
            try await store.syncCommitted()
            #expect(try await store.synchronousLevel() == 2, "back at FULL after group \(group)")
        }
        let wal = temporary.directory.appendingPathComponent("db.sqlite-wal").path
        let walBytes = try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int ?? 0
        // Checkpointed from 1,000 pages on (in the background) and by the writer past 2,000, the WAL
        // never holds much more than that plus one group; never checkpointed, it would hold every page
        // written (23 MB here).
        let bound = 3 * 1000 * (4096 + 24)
        #expect(walBytes < bound, "WAL \(walBytes) bytes: checkpoints ran")
        #expect(try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), status: .all, limit: 1)).count == 1)
    }

    /// A write of thousands of rows outside ingestion (a generated history, an import) must not
    /// leave the WAL as large as it grew: the background checkpoint cannot finish while the writer
    /// keeps appending, so the WAL would never restart. The writer copies it whole and empties it
    /// after each batch.
    @Test func aLargeWriteLeavesTheWALFileBackUnderItsLimit() async throws {
        let temporary = try TemporarySQLiteStore(checkpointPages: 25)
        defer { Task { await temporary.remove() } }
        let store = temporary.store
        try await store.prepare(agents: TestAgents.all)
        let generator = HistoryGenerator(
            messages: 12_000, customers: 1_500, days: 30, end: Date(timeIntervalSince1970: 1_770_000_000),
            agents: [(id: "ana", team: nil)], adapters: [(id: "chat", channel: "chat")])
        let activity = try await generator.generate(after: try await store.historyStart(), batchSize: 4_000) { batch in
            try await store.loadHistory(batch)
        }
        try await store.finishHistory(activity)
        let wal = temporary.directory.appendingPathComponent("db.sqlite-wal").path
        let walBytes = try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int ?? 0
        // One batch of 4,000 messages with their indexes and search rows is about 3 MB of WAL,
        // several times the limit (800 KB here), so without the cut the file keeps at least that.
        let limit = 25 * 8 * 4096
        #expect(walBytes <= limit + 20 * (4096 + 24), "WAL file \(walBytes) bytes after the history")
        #expect(try await store.historyStart().message == 12_000)
    }
}
