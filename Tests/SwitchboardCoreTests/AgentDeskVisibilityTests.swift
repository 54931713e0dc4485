import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// An agent sees and acts on the conversations they own or are assigned; a supervisor on all.
@Suite struct AgentDeskVisibilityTests {
    let ana = Viewer(Staff.ana), luis = Viewer(Staff.luis), marta = Viewer(Staff.marta)

    /// A customer of Ana's.
    func anasCustomer(_ core: CoreOnMemory) async throws -> StoredInbound {
        try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann", name: "Ann") }
    }

    @Test func anotherAgentCanNeitherSeeNorTouchTheConversation() async throws {
        let core = try await CoreOnMemory()
        let stored = try await anasCustomer(core)
        let id = stored.conversation.id
        let desk = core.desk
        #expect(stored.conversation.owner == "ana")

        #expect(await refused { try await desk.conversation(id, for: luis) }?.status == 403)
        #expect(await refused { try await desk.reply(to: id, body: "hi", inReplyTo: nil, via: nil, by: luis) }?.status == 403)
        #expect(await refused { try await desk.note(on: id, body: "psst", by: luis) }?.status == 403)
        #expect(await refused { try await desk.escalate(id, reason: "mine now", by: luis) }?.status == 403)
        #expect(await refused { try await desk.resolve(id, by: luis) }?.status == 403)
        #expect(await refused { try await desk.setPending(id, true, by: luis) }?.status == 403)
        #expect(await refused { try await desk.tag(id, tags: ["vip"], by: luis) }?.status == 403)
        #expect(await refused { try await desk.suggest("be nicer", conversation: id, by: luis) }?.status == 403)
        #expect(await refused { try await desk.customer(stored.customer, for: luis) }?.status == 403)
        #expect(try await desk.conversations(for: luis, status: .all, limit: 50).isEmpty)
        #expect(try await desk.searchCustomers("Ann", for: luis, limit: 10).isEmpty)

        // Nothing of it reached the conversation.
        let after = try await core.conversation(id)
        #expect(after.status == .open)
        #expect(after.assignee == "ana")
        #expect(after.messages.map(\.direction) == [.inbound, .event], "the customer's message and its assignment only")
        #expect(after.tags.isEmpty)
    }

    @Test func theOwnerAndSupervisorsSeeIt() async throws {
        let core = try await CoreOnMemory()
        let id = try await anasCustomer(core).conversation.id
        #expect(try await core.desk.conversation(id, for: ana).id == id)
        #expect(try await core.desk.conversation(id, for: marta).id == id)
        #expect(try await core.desk.conversations(for: ana, status: .open, limit: 50).map(\.id) == [id])
        #expect(try await core.desk.conversations(for: marta, status: .open, limit: 50).map(\.id) == [id])
        let note = try await core.desk.note(on: id, body: "VIP, be quick", by: marta)
        #expect(note.direction == .note)
    }

    @Test func onlySupervisorsAssignReportOrUndoMerges() async throws {
        let core = try await CoreOnMemory()
        let stored = try await anasCustomer(core)
        let id = stored.conversation.id
        #expect(await refused { try await core.desk.assign(id, to: "luis", makeOwner: true, by: ana) }?.status == 403)
        #expect(await refused { try await core.desk.escalations(for: ana, limit: 10) }?.status == 403)
        #expect(await refused { try await core.desk.suggestions(for: ana, limit: 10) }?.status == 403)
        #expect(await refused { try await core.desk.report(since: Plans.now, for: ana) }?.status == 403)
        #expect(await refused { try await core.desk.unmerge(stored.customer, by: ana) }?.status == 403)
        #expect(await refused { try await core.desk.closeEscalation(id, note: nil, handBack: false, by: ana) }?.status == 403)
        #expect(try await core.conversation(id).assignee == "ana")
    }

    @Test func aFailedReplyOfSomeoneElsesConversationCannotBeRetried() async throws {
        let core = try await CoreOnMemory()
        let id = try await anasCustomer(core).conversation.id
        let reply = try await core.desk.reply(to: id, body: "Hello Ann", inReplyTo: nil, via: nil, by: ana)
        #expect(await refused { try await core.desk.retry(message: reply.id, by: luis) }?.status == 403)
        #expect(await refused { try await core.desk.retry(message: 9999, by: ana) }?.status == 404)
        let notFailed = await refused { try await core.desk.retry(message: reply.id, by: ana) }
        #expect(notFailed?.status == 422 && notFailed?.code == "not_retryable")
    }

    @Test func aConversationThatDoesNotExistIsNotFoundForAnyone() async throws {
        let core = try await CoreOnMemory()
        #expect(await refused { try await core.desk.conversation(42, for: marta) }?.status == 404)
        #expect(await refused { try await core.desk.resolve(42, by: ana) }?.status == 404)
    }
}
