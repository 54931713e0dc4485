import Foundation
import Logging
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

@Suite struct OrphanTests {
    @Test func conversationsOfRemovedAgentsAreRedistributedAndRecorded() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let o = try await t.store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x")], policy: TestAgents.policy)
        let anaConversation = try #require(o.first { $0.owner == "ana" }?.conversationID)

        // Ana leaves the configuration; the gateway restarts with the others.
        let remaining = [TestAgents.luis, TestAgents.marta]
        try await t.store.prepare(agents: remaining)
        let directory = AgentDirectory(agents: remaining)
        let events = EventBus()
        let worker = DeliveryWorker(store: t.store, adapters: AdapterRegistry([]), events: events, settings: DeliverySettings(), key: testKey, logger: Logger(label: "t"))
        let desk = AgentDesk(directory: directory, store: t.store, adapters: AdapterRegistry([]), events: events, outbox: worker, references: testReferences)
        #expect(try await desk.redistributeOrphans() == 1)
        let detail = try #require(try await t.store.conversation(anaConversation))
        #expect(detail.owner == "luis")
        #expect(detail.assignee == "luis")
        #expect(detail.messages.last?.body == "ana left the configuration; luis takes the conversation as its owner")
        #expect(try await desk.redistributeOrphans() == 0)
    }
}
