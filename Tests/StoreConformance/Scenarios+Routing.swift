import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Who gets a conversation, who sees it, and what a resolved one does when the customer writes.
extension StoreConformance {
    static let routingScenarios: [StoreScenario] = [
        StoreScenario("new customers go to the least loaded agent and stay with their owner", on: newCustomersGoToTheLeastLoadedAgent),
        StoreScenario("unavailable agents get no new customers", on: unavailableAgentsGetNoNewCustomers),
        StoreScenario("agents see only their conversations and supervisors all", on: agentsSeeOnlyTheirConversations),
        StoreScenario("a resolved conversation reopens with the same owner, once per group", on: resolvedConversationReopens),
    ]

    @Sendable static func newCustomersGoToTheLeastLoadedAgent(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x")], policy: TestAgents.policy)
        #expect(first.map(\.kind) == [.stored, .stored])
        #expect(Set(first.compactMap(\.owner)) == ["ana", "luis"])
        #expect(first[0].conversationID != first[1].conversationID)
        #expect(first[0].assignment?.event?.direction == .event)

        let again = try await store.ingest([inbound("3", from: "a@x", adapter: "other")], policy: TestAgents.policy)
        #expect(again[0].conversationID == first[0].conversationID)
        #expect(again[0].owner == first[0].owner)
        #expect(again[0].assignment == nil)

        let detail = try #require(try await store.conversation(first[0].conversationID!))
        #expect(detail.customer.contacts == 2)
        #expect(detail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["1", "3"])
        #expect(detail.firstResponseDue != nil)
        #expect(detail.customer.contactsByChannel == ["chat": 1, "other": 1])
    }

    @Sendable static func unavailableAgentsGetNoNewCustomers(_ store: any Store) async throws {
        try await store.setAgentStatus("ana", .away)
        let o = try await store.ingest((1...4).map { inbound("\($0)", from: "c\($0)@x") }, policy: TestAgents.policy)
        #expect(o.allSatisfy { $0.owner == "luis" })
        try await store.setAgentStatus("luis", .offline)
        let nobody = try await store.ingest([inbound("9", from: "new@x")], policy: TestAgents.policy)[0]
        #expect(nobody.owner == nil)
        #expect(nobody.assignment?.reason.contains("no agent") == true)
    }

    @Sendable static func agentsSeeOnlyTheirConversations(_ store: any Store) async throws {
        _ = try await store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x"), inbound("3", from: "c@x")], policy: TestAgents.policy)
        let ana = try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.ana)))
        let luis = try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.luis)))
        let marta = try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta)))
        #expect(ana.count + luis.count == 3)
        #expect(Set(ana.map(\.id)).isDisjoint(with: luis.map(\.id)))
        #expect(marta.count == 3)
        #expect(try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), status: .resolved)).isEmpty)
        let report = try await store.reportSummary(since: Date().addingTimeInterval(-60), now: Date())
        #expect(report.started == 3)
        #expect(report.conversations["open"] == 3)
        #expect(try await store.exportConversations(since: Date(timeIntervalSince1970: 0), limit: 10).count == 3)
    }

    @Sendable static func resolvedConversationReopens(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        _ = try await store.resolve(conversation: id, author: "ana", at: Date())
        await #expect(throws: ServiceError.self) { try await store.resolve(conversation: id, author: "ana", at: Date()) }
        #expect(try await store.access(conversation: id)?.status == .resolved)
        // Two messages in one group: the first reopens, the second finds it open (one reopening, not two).
        let back = try await store.ingest([inbound("2", from: "a@x"), inbound("3", from: "a@x")], policy: TestAgents.policy)
        #expect(back.map(\.conversationID) == [id, id])
        #expect(back[0].owner == first.owner && back[1].owner == first.owner)
        #expect(back[0].assignment?.reason.contains("reopened") == true)
        #expect(back[1].assignment == nil)
        #expect(try await store.access(conversation: id)?.status == .open)
        let detail = try #require(try await store.conversation(id))
        #expect(detail.messages.filter { $0.direction == .event && $0.body.contains("reopened") }.count == 1)
        #expect(detail.customer.contacts == 3)
    }
}
