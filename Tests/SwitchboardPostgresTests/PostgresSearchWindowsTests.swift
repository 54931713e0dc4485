import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// PostgreSQL reads a search's matches in windows of ids and switches to the GIN index once the
/// counted density says so (``PostgresSearchWindows``). On a few rows the default first window
/// covers everything; with tiny first windows every path runs (several windows, the switch, the
/// switch at once when a window holds no match), and each gives the same pages as one window.
@Suite(.integration) struct PostgresSearchWindowsTests {
    static let marta = Viewer(TestAgents.marta)
    static let ana = Viewer(TestAgents.ana)

    static func said(_ id: String, from: String, name: String, _ text: String) -> IngestItem {
        IngestItem(
            adapter: "chat",
            event: .message(
                InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: from), customerName: name, text: text)),
            receivedAt: Date())
    }

    @Test func windowsGiveTheSamePagesAsOneRead() async throws {
        let database = try await PostgresTestServer.shared.createDatabase()
        let store = try await PostgresTestServer.shared.store(database: database)
        try await store.prepare(agents: TestAgents.all)
        // 40 customers, 80 messages: `pedido` in every message, `lavadora` in every seventh,
        // `A-482133` once; a few customers named García.
        var items: [IngestItem] = []
        for i in 0..<80 {
            let customer = i % 40
            var text = "pedido número \(i)"
            if i % 7 == 3 { text += " lavadora" }
            if i == 11 { text += " A-482133" }
            items.append(Self.said("m\(i)", from: "c\(customer)", name: customer % 9 == 2 ? "Lucía García \(customer)" : "Cliente \(customer)", text))
        }
        for batch in stride(from: 0, to: items.count, by: 20) {
            _ = try await store.ingest(Array(items[batch..<min(items.count, batch + 20)]), policy: TestAgents.policy)
        }

        for text in ["pedido", "lavadora", "A-482133", "lavadora pedido", "ninguna", "García", "Lucía García", "cliente"] {
            for viewer in [Self.marta, Self.ana] {
                for limit in [1, 3, 7, 100] {
                    let query = SearchQuery(terms: SearchTerm.parse(text), viewer: viewer, limit: limit)
                    let messages = try await store.searchMessages(query, span: 1_000_000)
                    let cards = try await store.searchConversations(query, span: 1_000_000)
                    #expect(messages.count <= limit && cards.count <= limit)
                    for span: Int64 in [1, 2, 5, 16] {
                        #expect(try await store.searchMessages(query, span: span) == messages, "\(text) \(viewer.agentID) \(limit) \(span)")
                        #expect(try await store.searchConversations(query, span: span) == cards, "\(text) \(viewer.agentID) \(limit) \(span)")
                    }
                }
                // Paging with the cursor, three at a time, from tiny windows: the same list as one read.
                let all = try await store.searchMessages(SearchQuery(terms: SearchTerm.parse(text), viewer: viewer, limit: 100), span: 1_000_000)
                var paged: [SearchHit] = []
                var before: Int64?
                repeat {
                    let page = try await store.searchMessages(
                        SearchQuery(terms: SearchTerm.parse(text), viewer: viewer, before: before, limit: 3), span: 2)
                    paged += page
                    before = page.count == 3 ? page.last?.message : nil
                } while before != nil
                #expect(paged == all, "\(text) \(viewer.agentID)")
            }
        }
        #expect(try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("pedido"), viewer: Self.marta, limit: 100)).count == 80)
        try await store.close()
        try await PostgresTestServer.shared.dropDatabase(database)
    }
}

/// Which way ``PostgresSearchWindows`` reads, on a made-up index of ids (no database): matches at
/// every 100th id, the viewer's among them rarer.
@Suite struct PostgresSearchWindowsChoiceTests {
    /// Walks `newestFirst` over ids 1…`top` with these visible ids; returns the rows and the reads.
    static func search(
        limit: Int, top: Int64, visible: @escaping (Int64) -> Bool
    ) async throws -> (
        rows: [Int64], reads: [PostgresSearchWindows.Range]
    ) {
        var reads: [PostgresSearchWindows.Range] = []
        let rows = try await PostgresSearchWindows.newestFirst(limit: limit, before: nil, ids: (1, top)) { range, needed in
            reads.append(range)
            let (lo, hi): (Int64, Int64) =
                switch range {
                case .window(let lo, let hi): (lo, hi)
                case .indexed(let below): (1, below)
                }
            let matches = stride(from: (hi - 1) / 100 * 100, through: lo, by: -100).filter { $0 >= lo && $0 > 0 }
            return PostgresSearchWindows.Window(matched: matches.count, rows: Array(matches.filter(visible).prefix(needed)))
        }
        return (rows, reads)
    }

    @Test func anAgentWhoseMatchesAreRareIsWalkedToThemNotReadFromTheIndex() async throws {
        // One match in 40 is theirs (every 4,000th id), and the first window of 2,048 ids holds
        // none of them: taking that as "nothing to find by walking" read all 10,000 matches from
        // the index (at 10 M messages: 89,000 matches, a second) for 5 rows the walk finds in
        // 20,000 ids.
        let (rows, reads) = try await Self.search(limit: 5, top: 1_003_999) { $0 % 4_000 == 0 }
        #expect(rows == [1_000_000, 996_000, 992_000, 988_000, 984_000])
        #expect(
            !reads.contains {
                if case .indexed = $0 { true } else { false }
            }, "\(reads)")
    }

    @Test func aViewerWhoSeesNoneOfTheMatchesGoesToTheIndexAfterABoundedWalk() async throws {
        let (rows, reads) = try await Self.search(limit: 5, top: 1_000_000) { _ in false }
        #expect(rows.isEmpty)
        guard case .indexed(let below)? = reads.last else {
            Issue.record("the last read is not from the index: \(reads)")
            return
        }
        // One match in 100 ids, a match from the index costing 24 walked rows: the index is the
        // cheaper way once about a fifth of the ids are walked (spans growing eightfold).
        #expect(1_000_000 - below < 200_000, "walked \(1_000_000 - below) of 1,000,000 ids before the index")
    }

    @Test func aFirstWindowPoorerThanTheRestDoesNotSendALargeReadToTheIndex() async throws {
        // An agent sees one id in 400 (25,000 of 10 M, each a match of theirs), but the newest
        // 4,000 ids hold only 5 of them. Read from the index, the rest would be 25,000 matches
        // fetched and joined; walking finds the 500 asked for in about 200,000 ids.
        let top: Int64 = 10_000_000
        let theirs: (Int64) -> Bool = { $0 % 400 == 0 && ($0 <= top - 4_000 || $0 % 800 == 0) }
        var reads: [PostgresSearchWindows.Range] = []
        let rows = try await PostgresSearchWindows.newestFirst(limit: 500, before: nil, ids: (1, top)) { range, needed in
            reads.append(range)
            let (lo, hi): (Int64, Int64) =
                switch range {
                case .window(let lo, let hi): (lo, hi)
                case .indexed(let below): (1, below)
                }
            let matches = stride(from: (hi - 1) / 400 * 400, through: max(lo, 1), by: -400).filter(theirs)
            return PostgresSearchWindows.Window(matched: matches.count, rows: Array(matches.prefix(needed)))
        }
        #expect(rows.count == 500)
        #expect(rows.first == top && rows.last == top - 4_000 - 494 * 400)
        #expect(
            !reads.contains {
                if case .indexed = $0 { true } else { false }
            }, "\(reads)")
    }
}
