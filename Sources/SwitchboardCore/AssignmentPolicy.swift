/// An agent's current load, as the store keeps it.
public struct AgentLoad: Sendable, Equatable {
    public var agentID: String
    public var status: AgentStatus
    /// Open conversations with this agent as assignee.
    public var openAssigned: Int
    /// Increases with every new assignment; the lowest went longest without one (round-robin).
    public var lastAssignedSeq: Int64

    public init(agentID: String, status: AgentStatus, openAssigned: Int, lastAssignedSeq: Int64) {
        self.agentID = agentID
        self.status = status
        self.openAssigned = openAssigned
        self.lastAssignedSeq = lastAssignedSeq
    }
}

/// Decides who gets a conversation. Pure: the store supplies the loads inside its transaction, so
/// the decision and the write are one atomic step.
public struct AssignmentPolicy: Sendable {
    public let directory: AgentDirectory

    public init(directory: AgentDirectory) {
        self.directory = directory
    }

    /// The owner of a new customer: the least-loaded available agent of the team, ties broken by
    /// who was assigned longest ago. Supervisors are not assigned. Nil when nobody can take it.
    public func ownerForNewCustomer(team: String?, loads: [String: AgentLoad]) -> String? {
        let candidates = directory.agents.filter { agent in
            guard agent.role == .agent, team == nil || agent.teams.contains(team!) else { return false }
            guard let load = loads[agent.id], load.status == .available else { return false }
            return agent.capacity.map { load.openAssigned < $0 } ?? true
        }
        return candidates.min { a, b in
            let la = loads[a.id]!, lb = loads[b.id]!
            return (la.openAssigned, la.lastAssignedSeq, a.id) < (lb.openAssigned, lb.lastAssignedSeq, b.id)
        }?.id
    }

    /// Who handles a returning customer's message. The owner is sticky: every later message of the
    /// customer, on any channel, goes to them.
    public func assigneeForReturningCustomer(owner: String?, currentAssignee: String?) -> String? {
        if let owner, directory[owner] != nil { return owner }
        return currentAssignee
    }

    /// The supervisor who takes an escalation: the least-loaded supervisor of the team.
    public func supervisorForEscalation(team: String?, loads: [String: AgentLoad]) -> String? {
        directory.supervisors(of: team).min { a, b in
            let la = loads[a.id]?.openAssigned ?? 0, lb = loads[b.id]?.openAssigned ?? 0
            return (la, a.id) < (lb, b.id)
        }?.id
    }
}
