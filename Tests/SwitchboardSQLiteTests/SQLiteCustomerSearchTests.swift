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
    /// candidate for `éric` that `LIKE` turns down. With more of them than the window read first,
    /// between a customer who holds the fragment and an older one who does too, the page still has
    /// both, as supervisor and as the agent who holds them, whichever side the agent's read starts
    /// from. One agent holds everyone (capacity 100), so that they hold more than a hundred index
    /// entries (owner and assignee) per unique name: the choice between the sides is tested too.
    @Test func candidatesLikeTurnsDownBeyondTheWindowAreNotTheAnswer() async throws {
        try await TemporarySQLiteStore.with { store in
            let ana = Agent(id: "ana", name: "Ana", role: .agent, teams: ["support"], capacity: 100)
            try await store.prepare(agents: [ana, TestAgents.marta])
            let policy = IngestPolicy(
                assignment: AssignmentPolicy(directory: AgentDirectory(agents: [ana])), teamOfAdapter: { _ in "support" },
                firstResponse: { _ in .seconds(3600) }, references: testReferences)
            let base = Date(timeIntervalSince1970: 1_800_000_000)
            func named(_ id: String, _ name: String, at seconds: Double) async throws -> Int64 {
                let item = IngestItem(
                    adapter: "chat",
                    event: .message(
                        InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: id), customerName: name, text: "hola")),
                    receivedAt: base.addingTimeInterval(seconds))
                return try #require(try await store.ingest([item], policy: policy)[0].customerID)
            }
            let old = try await named("e0", "éric", at: 0)
            for i in 1...60 { _ = try await named("e\(i)", "ÉRIC \(i)", at: Double(i)) }
            let newer = try await named("e61", "éric nuevo", at: 100)
            let marta = Viewer(agentID: "marta", isSupervisor: true)
            let anaViewer = Viewer(agentID: "ana", isSupervisor: false)
            for limit in [1, 2, 5] {
                let expected = Array([newer, old].prefix(limit))
                #expect(try await store.searchCustomers("éric", viewer: marta, limit: limit).map(\.id) == expected, "\(limit)")
                #expect(try await store.searchCustomers("éric", viewer: anaViewer, limit: limit).map(\.id) == expected, "\(limit)")
                let (fromCandidates, fromHeld) = try await store.pool.read { db in
                    (
                        try SQLiteCustomerSearch.page(db, "éric", viewer: anaViewer, limit: limit, drive: .candidates),
                        try SQLiteCustomerSearch.page(db, "éric", viewer: anaViewer, limit: limit, drive: .held)
                    )
                }
                #expect(fromCandidates == expected, "\(limit)")
                #expect(fromHeld == expected, "\(limit)")
            }
            // Ana holds 62 conversations (124 entries): one candidate is checked, 62 are not.
            let choices = try await store.pool.read { db in
                [
                    try SQLiteCustomerSearch.fewCandidates(db, "\"éric nuevo\"", agent: "ana"),
                    try SQLiteCustomerSearch.fewCandidates(db, "\"éric\"", agent: "ana"),
                    try SQLiteCustomerSearch.fewCandidates(db, "\"éric nuevo\"", agent: "luis"),
                ]
            }
            #expect(choices == [true, false, false])
        }
    }

    private func firstHeld(by agent: String, in conversations: [Int64], _ store: SQLiteStore) async throws -> Int64? {
        for id in conversations where try await store.access(conversation: id)?.assignee == agent { return id }
        return nil
    }
}
