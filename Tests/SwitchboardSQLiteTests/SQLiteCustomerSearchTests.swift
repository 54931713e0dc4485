import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

@testable import SwitchboardSQLite

/// An agent's customer search may start from the matching customers or from what the agent holds
/// (``SQLiteCustomerSearch``); whichever it starts from, the page is the same.
@Suite struct SQLiteCustomerSearchTests {
    @Test func bothSidesGiveTheSamePage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        let store = try SQLiteStore(path: path)
        try await store.prepare(agents: TestAgents.all)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let names = ["García", "Lucía García", "Zoe", "Martín", "Ana García", "Bea"]
        var conversations: [Int64] = []
        for i in 0..<40 {
            let stored = try await store.ingest(
                [
                    mail(
                        "m\(i)", from: "\(names[i % names.count].lowercased().replacingOccurrences(of: " ", with: "."))\(i)@example.com",
                        // Some share a contact time: ties are broken by the newer customer.
                        at: base.addingTimeInterval(Double(i / 3) * 60))
                ], policy: TestAgents.policy)[0]
            conversations.append(stored.conversationID!)
        }
        // Bea is shown three conversations she does not hold; Ana one of Luis's.
        let bea = Agent(id: "bea", name: "Bea")
        for id in conversations.prefix(3) {
            _ = try await store.note(conversation: id) { MentionPlanner.note($0, body: "@bea", author: "luis", mentioning: [bea], at: base) }
        }
        if let luis = try await firstHeld(by: "luis", in: conversations, store) {
            _ = try await store.note(conversation: luis) {
                MentionPlanner.note($0, body: "@ana", author: "luis", mentioning: [TestAgents.ana], at: base)
            }
        }
        try await store.close()

        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try await queue.read { db in
            for agent in ["ana", "luis", "bea", "nobody"] {
                let viewer = Viewer(agentID: agent, isSupervisor: false)
                for text in ["garcía", "lucía", "zoe", "example", "martin", "ez", "ía", "nothing-like-it", "1@"] {
                    for limit in [1, 3, 50] {
                        let fromCandidates = try SQLiteCustomerSearch.page(db, text, viewer: viewer, limit: limit, drive: .candidates)
                        let fromHeld = try SQLiteCustomerSearch.page(db, text, viewer: viewer, limit: limit, drive: .held)
                        #expect(fromCandidates == fromHeld, "\(agent) \(text) \(limit)")
                        #expect(try SQLiteCustomerSearch.page(db, text, viewer: viewer, limit: limit) == fromHeld, "\(agent) \(text) \(limit)")
                    }
                }
            }
            // Someone who holds something finds it; the test would pass vacuously otherwise.
            #expect(try SQLiteCustomerSearch.page(db, "example", viewer: Viewer(agentID: "bea", isSupervisor: false), limit: 50).count == 3)
            #expect(try SQLiteCustomerSearch.page(db, "example", viewer: Viewer(agentID: "ana", isSupervisor: false), limit: 50).count >= 15)
        }
    }

    /// The candidates' trigrams fold case beyond ASCII and `LIKE` does not, so `ÉRIC` is a
    /// candidate for `éric` that `LIKE` turns down: with more of them than the window read first,
    /// the search still finds the one that holds it.
    @Test func candidatesLikeTurnsDownBeyondTheWindowAreNotTheAnswer() async throws {
        try await TemporarySQLiteStore.with { store in
            try await store.prepare(agents: TestAgents.all)
            let base = Date(timeIntervalSince1970: 1_800_000_000)
            func named(_ id: String, _ name: String, at: Date) -> IngestItem {
                IngestItem(
                    adapter: "chat",
                    event: .message(
                        InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: id), customerName: name, text: "hola")),
                    receivedAt: at)
            }
            let eric = try await store.ingest([named("e0", "éric", at: base)], policy: TestAgents.policy)[0]
            for i in 1...30 {
                _ = try await store.ingest([named("e\(i)", "ÉRIC \(i)", at: base.addingTimeInterval(Double(i)))], policy: TestAgents.policy)
            }
            let marta = Viewer(agentID: "marta", isSupervisor: true)
            #expect(try await store.searchCustomers("éric", viewer: marta, limit: 1).map(\.id) == [eric.customerID!])
            #expect(try await store.searchCustomers("éric", viewer: marta, limit: 5).map(\.id) == [eric.customerID!])
        }
    }

    private func firstHeld(by agent: String, in conversations: [Int64], _ store: SQLiteStore) async throws -> Int64? {
        for id in conversations where try await store.access(conversation: id)?.assignee == agent { return id }
        return nil
    }
}
