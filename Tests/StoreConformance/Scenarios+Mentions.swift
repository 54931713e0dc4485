import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Notes that mention agents: the note, its line in the thread, the mentions and the read grants,
/// all in one transaction, and what grants open (search, the customer list).
extension StoreConformance {
    static let mentionScenarios: [StoreScenario] = [
        StoreScenario("a note's mentions and read grants are stored with it", on: mentionsAreStoredWithTheNote),
        StoreScenario("a refused note stores no mention", on: aRefusedNoteStoresNoMention),
        StoreScenario("a read grant opens search and the customer list for that conversation only", on: aGrantOpensSearch),
    ]

    static func mentioning(_ agents: [Agent], body: String, author: String = "ana") -> @Sendable (ConversationState) throws -> NotePlan {
        { state in MentionPlanner.note(state, body: body, author: author, mentioning: agents, at: Date()) }
    }

    @Sendable static func mentionsAreStoredWithTheNote(_ store: any Store) async throws {
        let stored = try await store.ingest([said("n1", from: "nora", "my order", name: "Nora")], policy: TestAgents.policy)[0]
        let id = try #require(stored.conversationID)
        let outcome = try await store.note(conversation: id, mentioning([TestAgents.luis, TestAgents.marta], body: "@luis @marta help"))
        #expect(outcome.applied.messages.map(\.direction) == [.note, .event])
        #expect(outcome.applied.messages[0].body == "@luis @marta help" && outcome.applied.messages[0].author == "ana")
        #expect(outcome.mentions.map(\.agent) == ["luis", "marta"])
        #expect(
            outcome.mentions.allSatisfy {
                $0.conversation == id && $0.message == outcome.applied.messages[0].id && $0.author == "ana" && $0.customer.name == "Nora"
                    && $0.note == "@luis @marta help"
            })
        let thread = try #require(try await store.conversation(id))
        #expect(thread.messages.suffix(2).map(\.direction) == [.note, .event])
        #expect(try await store.hasReadGrant(agent: "luis", conversation: id))
        #expect(try await store.hasReadGrant(agent: "ana", conversation: id) == false)
        // Mentioned again: another mention, the same grant.
        let again = try await store.note(conversation: id, mentioning([TestAgents.luis], body: "@luis ping"))
        let listed = try await store.mentions(of: "luis", before: nil, limit: 10)
        #expect(listed.map(\.id) == [again.mentions[0].id, outcome.mentions[0].id], "newest first")
        #expect(try await store.mentions(of: "luis", before: listed[0].id, limit: 10).map(\.id) == [outcome.mentions[0].id])
        #expect(try await store.mentions(of: "luis", before: nil, limit: 1).count == 1)
        #expect(Set(try await store.readGrants()) == [ReadGrant(conversation: id, agent: "luis"), ReadGrant(conversation: id, agent: "marta")])
        await #expect(throws: StoreError.self) { try await store.note(conversation: 987_654, mentioning([], body: "x")) }
    }

    @Sendable static func aRefusedNoteStoresNoMention(_ store: any Store) async throws {
        let stored = try await store.ingest([said("r1", from: "rosa", "hola")], policy: TestAgents.policy)[0]
        let id = try #require(stored.conversationID)
        let before = try #require(try await store.conversation(id)).messages.count
        _ = try? await store.note(conversation: id) { _ in throw ServiceError.forbidden("no") }
        #expect(try #require(try await store.conversation(id)).messages.count == before)
        #expect(try await store.mentions(of: "luis", before: nil, limit: 10).isEmpty)
        #expect(try await store.readGrants().isEmpty)
    }

    @Sendable static func aGrantOpensSearch(_ store: any Store) async throws {
        let a = try await store.ingest([said("s1", from: "sol", "broken zipper", name: "Sol")], policy: TestAgents.policy)[0]
        let b = try await store.ingest([said("s2", from: "sam", "broken zipper", name: "Sam")], policy: TestAgents.policy)[0]
        let owners = try await [store.access(conversation: a.conversationID!)?.owner, store.access(conversation: b.conversationID!)?.owner]
        // Someone who owns neither: a supervisor's eyes are not needed, a plain viewer who is nobody's.
        let reader = Viewer(agentID: "bea", isSupervisor: false)
        #expect(!owners.contains("bea"))
        #expect(try await store.searchMessages(searching("zipper", as: reader)).isEmpty)
        _ = try await store.note(conversation: a.conversationID!, mentioning([Agent(id: "bea", name: "Bea")], body: "@bea look"))
        #expect(try await store.searchMessages(searching("zipper", as: reader)).map(\.conversation) == [a.conversationID!])
        #expect(
            try await store.searchMessages(searching("zipper", as: reader, limit: 500)).map(\.conversation) == [a.conversationID!],
            "a relevance-sized window")
        #expect(try await store.searchConversations(searching("sol", as: reader)).map(\.conversation) == [a.conversationID!])
        #expect(try await store.searchCustomers("Sol", viewer: reader, limit: 10).map(\.id) == [a.customerID!])
        #expect(try await store.searchCustomers("Sam", viewer: reader, limit: 10).isEmpty)
    }
}
