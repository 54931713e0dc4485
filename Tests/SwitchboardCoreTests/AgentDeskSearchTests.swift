import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// The desk's search: pages (customers first, then messages), references, relevance, refusals.
@Suite struct AgentDeskSearchTests {
    let ana = Viewer(Staff.ana), luis = Viewer(Staff.luis), marta = Viewer(Staff.marta)

    @Test func pagesGoThroughCustomersThenMessagesNewestFirst() async throws {
        let core = try await CoreOnMemory()
        let olga = try await core.onlyAvailable(Staff.ana) { try await core.receive("o1", from: "olga", name: "Olga Refund", text: "first refund") }
        for i in 2...4 { try await core.receive("o\(i)", from: "olga", text: "refund number \(i)") }
        var cursor: String?
        var seen: [SearchResult] = []
        repeat {
            let page = try await core.desk.search(SearchRequest(text: "refund", limit: 2, cursor: cursor), for: ana)
            #expect(page.results.count <= 2)
            seen += page.results
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.map(\.matched) == [.customer, .message, .message, .message, .message])
        #expect(seen[0].conversation == olga.conversation.id && seen[0].message == nil)
        let messages = seen.dropFirst().compactMap(\.message)
        #expect(messages == messages.sorted(by: >), "newest first")
        #expect(seen.allSatisfy { $0.reference == Staff.references.format(olga.conversation.id) })
        #expect(seen[1].snippet.contains(SnippetPart("refund", match: true)))
    }

    @Test func agentsFindOnlyWhatTheyMayRead() async throws {
        let core = try await CoreOnMemory()
        let anas = try await core.onlyAvailable(Staff.ana) { try await core.receive("a1", from: "ann", text: "broken screen") }
        try await core.onlyAvailable(Staff.luis) { _ = try await core.receive("l1", from: "leo", text: "broken hinge") }
        #expect(try await core.desk.search(SearchRequest(text: "broken"), for: ana).results.map(\.conversation) == [anas.conversation.id])
        #expect(try await core.desk.search(SearchRequest(text: "broken"), for: marta).results.count == 2)
        // A reference to someone else's conversation is not revealed either.
        let ref = Staff.references.format(anas.conversation.id)
        #expect(try await core.desk.search(SearchRequest(text: ref), for: luis).results.isEmpty)
    }

    @Test func aReferenceFindsItsConversationFirst() async throws {
        let core = try await CoreOnMemory()
        let stored = try await core.onlyAvailable(Staff.ana) { try await core.receive("r1", from: "rita", name: "Rita", text: "hello") }
        let ref = Staff.references.format(stored.conversation.id)
        let page = try await core.desk.search(SearchRequest(text: ref.lowercased()), for: ana)
        #expect(page.results.first?.matched == .reference)
        #expect(page.results.first?.conversation == stored.conversation.id)
        #expect(page.results.first?.customer.name == "Rita")
        // A wrong check part is no reference.
        // By relevance too: the reference leads the first page, then the rest by position, each once.
        try await core.receive("r2", from: "rita", text: "about \(ref) again")
        let lead = try await core.desk.search(SearchRequest(text: ref, limit: 1, order: .relevance), for: ana)
        #expect(lead.results.map(\.matched) == [.reference] && lead.nextCursor == "r1")
        let rest = try await core.desk.search(SearchRequest(text: ref, limit: 5, cursor: lead.nextCursor, order: .relevance), for: ana)
        #expect(rest.results.allSatisfy { $0.matched == .message } && !rest.results.isEmpty && rest.nextCursor == nil)
        let wrong = String(ref.dropLast()) + (ref.hasSuffix("A") ? "B" : "A")
        #expect(try await core.desk.search(SearchRequest(text: wrong), for: ana).results.allSatisfy { $0.matched != .reference })
    }

    @Test func relevancePagesByPosition() async throws {
        let core = try await CoreOnMemory()
        try await core.onlyAvailable(Staff.ana) {
            try await core.receive("x1", from: "xan", text: "lost parcel")
            try await core.receive("x2", from: "xan", text: "my parcel, lost somewhere, I lost it")
            try await core.receive("x3", from: "xan", text: "the parcel")
        }
        let first = try await core.desk.search(SearchRequest(text: "lost parcel", limit: 1, order: .relevance), for: ana)
        #expect(first.nextCursor == "r1")
        let second = try await core.desk.search(SearchRequest(text: "lost parcel", limit: 5, cursor: first.nextCursor, order: .relevance), for: ana)
        #expect(second.nextCursor == nil)
        #expect(first.results.count + second.results.count == 2, "every word must match: 'the parcel' is not found")
        #expect(await refused { try await core.desk.search(SearchRequest(text: "parcel", cursor: "r1"), for: ana) }?.status == 400)
    }

    @Test func badRequestsAreRefused() async throws {
        let core = try await CoreOnMemory()
        let desk = core.desk
        #expect(await refused { try await desk.search(SearchRequest(text: "  "), for: ana) }?.status == 400)
        #expect(await refused { try await desk.search(SearchRequest(text: "?!"), for: ana) }?.status == 400)
        #expect(await refused { try await desk.search(SearchRequest(text: "x", limit: 0), for: ana) }?.status == 400)
        #expect(await refused { try await desk.search(SearchRequest(text: "x", cursor: "zz"), for: ana) }?.status == 400)
        let now = Date()
        #expect(await refused { try await desk.search(SearchRequest(text: "x", since: now, until: now), for: ana) }?.status == 400)
    }
}
