import Foundation
import SwitchboardCore
import Testing

/// Escalations: which supervisor takes one, and how it ends.
@Suite struct AgentDeskEscalationTests {
    static let nora = Agent(id: "nora", name: "Nora Gil", role: .supervisor, teams: ["support"])
    let ana = Viewer(Staff.ana), marta = Viewer(Staff.marta)

    @Test func withSeveralSupervisorsTheNextEscalationGoesToTheLessLoadedOne() async throws {
        let core = try await CoreOnMemory(policy: Plans.policy(directory: AgentDirectory(agents: Staff.all + [Self.nora])))
        let first = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        let second = try await core.onlyAvailable(Staff.ana) { try await core.receive("c2", from: "bob") }.conversation.id

        #expect(try await core.desk.escalate(first, reason: "refund", by: ana).body == "Escalated by ana to marta: refund")
        #expect(try await core.desk.escalate(second, reason: "complaint", by: ana).body == "Escalated by ana to nora: complaint")
        #expect(try await core.conversation(second).assignee == "nora")
    }

    @Test func closingWithHandBackReturnsTheConversationToItsOwner() async throws {
        let core = try await CoreOnMemory()
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        _ = try await core.desk.escalate(id, reason: "refund over the limit", by: ana)
        let closed = try await core.desk.closeEscalation(id, note: " approved ", handBack: true, by: marta)
        #expect(closed.body == "marta closed the escalation: approved")
        let after = try await core.conversation(id)
        #expect(!after.escalated)
        #expect(after.status == .open)
        #expect(after.assignee == "ana")
        #expect(try await core.desk.escalations(for: marta, limit: 10).isEmpty)
    }

    @Test func anEscalationNeedsAReasonAndASupervisor() async throws {
        let core = try await CoreOnMemory()
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        #expect(await refused { try await core.desk.escalate(id, reason: "  ", by: ana) }?.status == 400)

        let unsupervised = try await CoreOnMemory(policy: Plans.policy(directory: AgentDirectory(agents: [Staff.ana, Staff.bea])))
        let lone = try await unsupervised.receive("c1", from: "ann").conversation.id
        let error = await refused { try await unsupervised.desk.escalate(lone, reason: "help", by: ana) }
        #expect(error?.status == 422 && error?.code == "no_supervisor")
        #expect(try await unsupervised.conversation(lone).escalated == false)
    }
}
