import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Who is told live when a conversation changes hands, is escalated or resolved.
@Suite struct AgentDeskEventTests {
    let ana = Viewer(Staff.ana), bea = Viewer(Staff.bea), luis = Viewer(Staff.luis), marta = Viewer(Staff.marta)

    func anasConversation(_ core: CoreOnMemory) async throws -> Int64 {
        try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
    }

    @Test func anEscalationGoesToTheSupervisorAndTheAgentWhoHadItIsTold() async throws {
        let core = try await CoreOnMemory()
        let id = try await anasConversation(core)
        _ = try await core.desk.assign(id, to: "bea", makeOwner: false, by: marta)  // Bea covers for Ana
        let (anaInbox, beaInbox, luisInbox, martaInbox) = (
            EventInbox(core.events, ana), EventInbox(core.events, bea), EventInbox(core.events, luis), EventInbox(core.events, marta)
        )

        let event = try await core.desk.escalate(id, reason: "customer asks for a refund", by: bea)
        #expect(event.body == "Escalated by bea to marta: customer asks for a refund")

        let after = try await core.conversation(id)
        #expect(after.assignee == "marta")
        #expect(after.owner == "ana")
        #expect(after.escalated)
        for inbox in [martaInbox, anaInbox, beaInbox] {
            let events = try await inbox.settle()
            #expect(events.map(\.type) == ["conversation.escalated", "conversation.assigned"], "\(inbox.viewer.agentID)")
            #expect(events.last?.assigned?.assignee == "marta")
        }
        #expect(try await luisInbox.settledTypes().isEmpty)
        // Bea no longer sees it; she was told because she had it.
        #expect(await refused { try await core.desk.conversation(id, for: bea) }?.status == 403)
        #expect(try await core.desk.escalations(for: marta, limit: 10).map(\.id) == [id])
    }

    @Test func aNewOwnerIsToldAndTheFormerOwnerHearsOfIt() async throws {
        let core = try await CoreOnMemory()
        let id = try await anasConversation(core)
        let (anaInbox, beaInbox, luisInbox) = (EventInbox(core.events, ana), EventInbox(core.events, bea), EventInbox(core.events, luis))

        let event = try await core.desk.assign(id, to: "luis", makeOwner: true, by: marta)
        #expect(event.body == "marta assigned the conversation to luis, who is now the owner (was ana)")
        let toLuis = try await luisInbox.settle()
        #expect(toLuis.map(\.type) == ["conversation.assigned"])
        #expect(toLuis.first?.assigned == AssignedPayload(conversation: id, owner: "luis", assignee: "luis", reason: event.body))
        #expect(try await anaInbox.settledTypes() == ["conversation.assigned"])
        #expect(try await beaInbox.settledTypes().isEmpty)
        let loads = try await core.store.agentLoads()
        #expect(loads["ana"]?.openAssigned == 0)
        #expect(loads["luis"]?.openAssigned == 1)
    }

    @Test func resolvingTellsThoseWhoSeeTheConversation() async throws {
        let core = try await CoreOnMemory()
        let id = try await anasConversation(core)
        let (anaInbox, luisInbox, martaInbox) = (EventInbox(core.events, ana), EventInbox(core.events, luis), EventInbox(core.events, marta))

        let event = try await core.desk.resolve(id, by: ana)
        #expect(event.body == "Resolved by ana")
        #expect(try await anaInbox.settledTypes() == ["conversation.resolved"])
        #expect(try await martaInbox.settledTypes() == ["conversation.resolved"])
        #expect(try await luisInbox.settledTypes().isEmpty)
        #expect(try await core.conversation(id).status == .resolved)
        #expect(try await core.store.agentLoads()["ana"]?.openAssigned == 0)
        let again = await refused { try await core.desk.resolve(id, by: ana) }
        #expect(again?.status == 409 && again?.code == "already_resolved")
    }

    @Test func anOwnerBackFromAwayGetsTheirCustomerBackAndTheCoverIsTold() async throws {
        let core = try await CoreOnMemory()
        let id = try await anasConversation(core)
        try await core.desk.setStatus(.away, for: Staff.ana)
        core.clock.advance(60)
        try await core.receive("c2", from: "ann", text: "anyone there?")
        #expect(try await core.conversation(id).assignee == "bea", "Ana's deputy covers")
        let beaInbox = EventInbox(core.events, bea)

        try await core.desk.setStatus(.available, for: Staff.ana)
        let after = try await core.conversation(id)
        #expect(after.assignee == "ana")
        #expect(after.messages.last?.body == "ana is available again: back to the owner")
        let toBea = try await beaInbox.settle()
        #expect(toBea.map(\.type) == ["conversation.assigned"])
        #expect(toBea.first?.assigned?.assignee == "ana")
    }
}
