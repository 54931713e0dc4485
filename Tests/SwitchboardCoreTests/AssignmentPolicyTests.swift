import Foundation
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

@Suite struct AssignmentPolicyTests {
    let policy = AssignmentPolicy(
        directory: AgentDirectory(
            agents: TestAgents.all + [
                Agent(id: "zoe", name: "Zoe", teams: ["sales"], capacity: 1)
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

    @Test func theOwnerIsStickyAndCoveredWhenAway() {
        let now = Date()
        var loads = Dictionary(uniqueKeysWithValues: [load("ana", open: 3), load("luis", open: 0), load("marta", open: 0)])
        #expect(
            policy.decide(owner: "ana", currentAssignee: "ana", team: "support", loads: loads, at: now)
                == AssignmentDecision(owner: "ana", assignee: "ana", reason: nil))
        loads["ana"]?.status = .away
        let covered = policy.decide(owner: "ana", currentAssignee: "ana", team: "support", loads: loads, at: now)
        #expect(covered.owner == "ana")
        #expect(covered.assignee == "luis")
        #expect(covered.reason == "ana is away; luis covers, ana stays the owner")
        loads["luis"]?.status = .offline
        let queued = policy.decide(owner: "ana", currentAssignee: "ana", team: "support", loads: loads, at: now)
        #expect(queued.assignee == nil)
        #expect(queued.reason?.contains("queued") == true)
        loads["ana"]?.status = .available
        #expect(
            policy.decide(owner: "ana", currentAssignee: "luis", team: "support", loads: loads, at: now).reason
                == "ana is available: back to the owner")
    }

    @Test func theDeputyCoversFirst() {
        let directory = AgentDirectory(agents: [
            Agent(id: "ana", name: "Ana", teams: ["support"], deputy: "bea"),
            Agent(id: "bea", name: "Bea", teams: ["support"]),
            Agent(id: "carl", name: "Carl", teams: ["support"]),
        ])
        let p = AssignmentPolicy(directory: directory)
        let loads = Dictionary(uniqueKeysWithValues: [load("ana", open: 0, status: .away), load("bea", open: 9), load("carl", open: 0)])
        #expect(p.decide(owner: "ana", currentAssignee: "ana", team: "support", loads: loads, at: Date()).assignee == "bea")
    }

    @Test func shiftsDecideAvailability() throws {
        let shift = try Schedule.parseShift("mon-fri 09:00-17:00").get()
        let night = try Schedule.parseShift("daily 22:00-06:00").get()
        let madrid = TimeZone(identifier: "Europe/Madrid")!
        let day = Schedule(shifts: [shift], timeZone: madrid)
        // 2026-11-25 is a Wednesday; Madrid is UTC+1 in November.
        let wednesdayNoon = ISO8601DateFormatter().date(from: "2026-11-25T11:00:00Z")!
        let wednesdayEvening = ISO8601DateFormatter().date(from: "2026-11-25T17:30:00Z")!
        let saturdayNoon = ISO8601DateFormatter().date(from: "2026-11-28T11:00:00Z")!
        #expect(day.isOnShift(at: wednesdayNoon))
        #expect(!day.isOnShift(at: wednesdayEvening))
        #expect(!day.isOnShift(at: saturdayNoon))
        let nights = Schedule(shifts: [night], timeZone: .gmt)
        #expect(nights.isOnShift(at: ISO8601DateFormatter().date(from: "2026-11-25T23:00:00Z")!))
        #expect(nights.isOnShift(at: ISO8601DateFormatter().date(from: "2026-11-26T05:00:00Z")!))
        #expect(!nights.isOnShift(at: wednesdayNoon))
        if case .success = Schedule.parseShift("someday 9-5") { Issue.record("accepted a bad shift") }

        let offShift = AssignmentPolicy(
            directory: AgentDirectory(agents: [
                Agent(id: "ana", name: "Ana", teams: ["support"], deputy: "bea", schedule: day),
                Agent(id: "bea", name: "Bea", teams: ["support"]),
            ]))
        let loads = Dictionary(uniqueKeysWithValues: [load("ana", open: 0), load("bea", open: 5)])
        #expect(offShift.ownerForNewCustomer(team: "support", loads: loads, at: wednesdayEvening) == "bea")
        #expect(offShift.ownerForNewCustomer(team: "support", loads: loads, at: wednesdayNoon) == "ana")
        let decision = offShift.decide(owner: "ana", currentAssignee: "ana", team: "support", loads: loads, at: wednesdayEvening)
        #expect(decision.assignee == "bea")
        #expect(decision.reason == "ana is off shift; the deputy bea covers, ana stays the owner")
    }

    @Test func tokensIdentifyAgents() {
        let directory = AgentDirectory(agents: TestAgents.all, tokens: ["ana": "token-ana-1", "luis": "token-luis-1"])
        #expect(directory.agent(forToken: "token-ana-1")?.id == "ana")
        #expect(directory.agent(forToken: "token-ana-") == nil)
        #expect(directory.agent(forToken: "") == nil)
    }
}
