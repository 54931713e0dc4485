import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The conversation view, paged: the newest page first, `before` the cursor to older ones.
extension StoreConformance {
    static let threadPageScenarios: [StoreScenario] = [
        StoreScenario("a thread read in pages gives every message once, in thread order", on: pagesCoverTheThreadOnce),
        StoreScenario("a page before a message of another conversation is empty", on: aForeignCursorGivesNothing),
    ]

    @Sendable static func pagesCoverTheThreadOnce(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.ingest([mail("t0", from: "pat@example.com", at: t0)], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        for i in 1..<7 {
            _ = try await store.ingest([mail("t\(i)", from: "pat@example.com", at: t0.addingTimeInterval(Double(i) * 60))], policy: TestAgents.policy)
            // A note between the customer's messages pages with them.
            _ = try await store.appendInternal(
                conversation: id, direction: .note, author: "ana", body: "note \(i)", at: t0.addingTimeInterval(Double(i) * 60 + 1))
        }
        // Written later but dated earlier (as a merge brings older messages in): the thread's order is by date.
        _ = try await store.appendInternal(conversation: id, direction: .note, author: "ana", body: "early", at: t0.addingTimeInterval(30))
        let whole = try #require(try await store.conversation(id))
        #expect(whole.nextBefore == nil)
        #expect(whole.messages.count > 12)
        let order = whole.messages.map(\.id)
        #expect(whole.messages[0].createdAt == whole.messages[1].createdAt, "the first message and its assignment share a moment")
        #expect(whole.messages.map(\.createdAt) == whole.messages.map(\.createdAt).sorted())

        // Pages of one put a boundary between every two messages, those written at the same moment
        // (the first message and its assignment event) included.
        for limit in [5, 1] {
            var pages: [[Int64]] = []
            var before: Int64?
            repeat {
                let page = try #require(try await store.conversation(id, page: MessagePage(limit: limit, before: before)))
                #expect(page.messages.count <= limit)
                #expect(page.messages.map(\.createdAt) == page.messages.map(\.createdAt).sorted(), "each page is oldest first")
                pages.append(page.messages.map(\.id))
                #expect((page.nextBefore == nil) == (pages.joined().count == order.count))
                if let next = page.nextBefore { #expect(next == page.messages.first?.id) }
                before = page.nextBefore
            } while before != nil && pages.count <= order.count
            #expect(Array(pages.reversed().joined()) == order, "the newest page first; all of them, once, in order")
            #expect(pages[0] == Array(order.suffix(limit)))
        }
        // A page as large as the thread is the whole thread, with nothing before it.
        let all = try #require(try await store.conversation(id, page: MessagePage(limit: order.count)))
        #expect(all.messages.map(\.id) == order && all.nextBefore == nil)
    }

    @Sendable static func aForeignCursorGivesNothing(_ store: any Store) async throws {
        let a = try await store.ingest([mail("f1", from: "a@example.com"), mail("f2", from: "a@example.com")], policy: TestAgents.policy)
        let b = try await store.ingest([mail("f3", from: "b@example.com")], policy: TestAgents.policy)[0]
        let page = try #require(try await store.conversation(a[0].conversationID!, page: MessagePage(limit: 10, before: b.messageID)))
        #expect(page.messages.isEmpty && page.nextBefore == nil)
        #expect(
            try await store.conversation(a[0].conversationID!, page: MessagePage(limit: 10, before: a[1].messageID))?.messages.map(\.id).contains(
                a[0].messageID!) == true)
    }
}
