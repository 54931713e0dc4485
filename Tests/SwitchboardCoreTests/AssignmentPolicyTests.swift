import SwitchboardCore
import Testing

@Suite struct AssignmentPolicyTests {
    let policy = AssignmentPolicy(directory: AgentDirectory(agents: TestAgents.all + [
        Agent(id: "zoe", name: "Zoe", teams: ["sales"], capacity: 1),
    ]))

    func load(_ id: String, open: Int, seq: Int64 = 0, status: AgentStatus = .available) -> (String, AgentLoad) {
        (id, AgentLoad(agentID: id, status: status, openAssigned: open, lastAssignedSeq: seq))
    }

    @Test func picksTheLeastLoadedAgentOfTheTeam() {
        let loads = Dictionary(uniqueKeysWithValues: [load("ana", open: 3), load("luis", open: 1), load("marta", open: 0), load("zoe", open: 0)])
        #expect(policy.ownerForNewCustomer(team: "support", loads: loads) == "luis")
    }

    @Test func breaksTiesRoundRobin() {
        let loads = Dictionary(uniqueKeysWithValues: [load("ana", open: 2, seq: 7), load("luis", open: 2, seq: 4), load("marta", open: 0)])
        #expect(policy.ownerForNewCustomer(team: "support", loads: loads) == "luis")
    }

    @Test func skipsSupervisorsUnavailableAndFullAgents() {
        let loads = Dictionary(uniqueKeysWithValues: [
            load("ana", open: 0, status: .away), load("luis", open: 25), load("marta", open: 0), load("zoe", open: 0),
        ])
        #expect(policy.ownerForNewCustomer(team: "support", loads: loads) == nil)
        let full = Dictionary(uniqueKeysWithValues: [load("zoe", open: 1)])
        #expect(policy.ownerForNewCustomer(team: "sales", loads: full) == nil)
    }

    @Test func theOwnerIsSticky() {
        #expect(policy.assigneeForReturningCustomer(owner: "ana", currentAssignee: "marta") == "ana")
        #expect(policy.assigneeForReturningCustomer(owner: "gone", currentAssignee: "luis") == "luis")
    }

    @Test func tokensIdentifyAgents() {
        let directory = AgentDirectory(agents: TestAgents.all, tokens: ["ana": "token-ana-1", "luis": "token-luis-1"])
        #expect(directory.agent(forToken: "token-ana-1")?.id == "ana")
        #expect(directory.agent(forToken: "token-ana-") == nil)
        #expect(directory.agent(forToken: "") == nil)
    }
}
