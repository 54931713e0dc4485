import Foundation

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

/// The routing options of `routing:` that shape assignment.
public struct RoutingRules: Sendable, Equatable {
    /// Hand an owner's conversations back when they become available again.
    public var returnToOwner: Bool
    /// Move a conversation whose customer waited this long without an answer; nil: never.
    public var reassignAfter: Duration?
    /// Whether an owner at capacity still gets their own customers' messages.
    public var ownerOverCapacity: Bool
    /// An available agent with no live connection (event stream, console) for this long is set
    /// `away`; nil: never.
    public var autoAway: Duration?

    public init(returnToOwner: Bool = true, reassignAfter: Duration? = nil, ownerOverCapacity: Bool = true, autoAway: Duration? = nil) {
        self.returnToOwner = returnToOwner
        self.reassignAfter = reassignAfter
        self.ownerOverCapacity = ownerOverCapacity
        self.autoAway = autoAway
    }
}

/// Who handles a message, and why (recorded in the thread when it changes something).
public struct AssignmentDecision: Sendable, Equatable {
    public var owner: String?
    public var assignee: String?
    public var reason: String?

    public init(owner: String?, assignee: String?, reason: String?) {
        self.owner = owner
        self.assignee = assignee
        self.reason = reason
    }
}

/// Decides who gets a conversation. Pure: the store supplies loads and statuses inside its
/// transaction, so the decision and the write are one atomic step.
public struct AssignmentPolicy: Sendable {
    public let directory: AgentDirectory
    public let rules: RoutingRules

    public init(directory: AgentDirectory, rules: RoutingRules = RoutingRules()) {
        self.directory = directory
        self.rules = rules
    }

    /// Whether `agent` takes work now: status available, on shift, and — for new work — below capacity.
    public func isAvailable(_ agent: Agent, loads: [String: AgentLoad], at now: Date, newWork: Bool) -> Bool {
        guard agent.role == .agent || !newWork, let load = loads[agent.id], load.status == .available,
            agent.schedule.isOnShift(at: now)
        else { return false }
        if newWork, let capacity = agent.capacity, load.openAssigned >= capacity { return false }
        return true
    }

    /// The least-loaded available agent of the team, ties broken by who was assigned longest ago.
    /// Supervisors are not assigned.
    public func leastLoaded(team: String?, loads: [String: AgentLoad], at now: Date, excluding: Set<String> = []) -> String? {
        let candidates = directory.agents.filter { agent in
            agent.role == .agent && !excluding.contains(agent.id) && (team == nil || agent.teams.contains(team!))
                && isAvailable(agent, loads: loads, at: now, newWork: true)
        }
        return candidates.min { a, b in
            let la = loads[a.id]!
            let lb = loads[b.id]!
            return (la.openAssigned, la.lastAssignedSeq, a.id) < (lb.openAssigned, lb.lastAssignedSeq, b.id)
        }?.id
    }

    /// The owner of a new customer. Nil when nobody can take it.
    public func ownerForNewCustomer(team: String?, loads: [String: AgentLoad], at now: Date = Date()) -> String? {
        leastLoaded(team: team, loads: loads, at: now)
    }

    /// Who handles a message of a customer who already has a conversation. The owner is sticky;
    /// when they cannot take it, their deputy or another agent of the team covers while the owner
    /// stays the owner; when nobody can, it waits for the team.
    public func decide(owner: String?, currentAssignee: String?, team: String?, loads: [String: AgentLoad], at now: Date) -> AssignmentDecision {
        guard let owner, let ownerAgent = directory[owner] else {
            // No owner yet (it waited for the team, or the owner left the configuration).
            if let agent = leastLoaded(team: team, loads: loads, at: now) {
                let why =
                    owner.map { "\($0) is no longer configured; \(agent) is the new owner" }
                    ?? "\(agent) takes the waiting conversation and becomes the owner"
                return AssignmentDecision(owner: agent, assignee: agent, reason: why)
            }
            return AssignmentDecision(owner: owner, assignee: nil, reason: currentAssignee == nil ? nil : "nobody of the team is available; queued")
        }
        if isAvailable(ownerAgent, loads: loads, at: now, newWork: !rules.ownerOverCapacity) {
            return AssignmentDecision(
                owner: owner, assignee: owner, reason: currentAssignee == owner ? nil : "\(owner) is available: back to the owner")
        }
        let why = unavailability(ownerAgent, loads: loads, at: now)
        if let current = currentAssignee, current != owner, let agent = directory[current],
            isAvailable(agent, loads: loads, at: now, newWork: false)
        {
            return AssignmentDecision(owner: owner, assignee: current, reason: nil)
        }
        if let deputy = ownerAgent.deputy, let agent = directory[deputy], isAvailable(agent, loads: loads, at: now, newWork: true) {
            return AssignmentDecision(owner: owner, assignee: deputy, reason: "\(why); the deputy \(deputy) covers, \(owner) stays the owner")
        }
        if let cover = leastLoaded(team: team ?? ownerAgent.teams.first, loads: loads, at: now, excluding: [owner]) {
            return AssignmentDecision(owner: owner, assignee: cover, reason: "\(why); \(cover) covers, \(owner) stays the owner")
        }
        return AssignmentDecision(
            owner: owner, assignee: nil,
            reason: currentAssignee == nil ? nil : "\(why) and nobody of the team is available; queued for the team")
    }

    /// Why an agent does not take work now, in words for the thread.
    public func unavailability(_ agent: Agent, loads: [String: AgentLoad], at now: Date) -> String {
        guard let load = loads[agent.id] else { return "\(agent.id) is not configured" }
        if load.status != .available { return "\(agent.id) is \(load.status.rawValue)" }
        if !agent.schedule.isOnShift(at: now) { return "\(agent.id) is off shift" }
        if let capacity = agent.capacity, load.openAssigned >= capacity { return "\(agent.id) is at capacity (\(capacity))" }
        return "\(agent.id) is not available"
    }

    /// The supervisor who takes an escalation: the least-loaded supervisor of the team.
    public func supervisorForEscalation(team: String?, loads: [String: AgentLoad]) -> String? {
        directory.supervisors(of: team).min { a, b in
            let la = loads[a.id]?.openAssigned ?? 0
            let lb = loads[b.id]?.openAssigned ?? 0
            return (la, a.id) < (lb, b.id)
        }?.id
    }
}
