import SwitchboardAdapterAPI

/// A person who answers customers, as configured.
public struct Agent: Sendable, Equatable {
    public enum Role: String, Sendable, Codable { case agent, supervisor }

    public var id: String
    public var name: String
    public var role: Role
    public var teams: [String]
    /// The most open conversations this agent carries as assignee; nil: no limit.
    public var capacity: Int?
    /// Who covers this agent's customers while they are not available.
    public var deputy: String?
    public var schedule: Schedule
    /// The agent's address at the business, lower-cased: single sign-on maps a verified identity to it.
    public var email: String?

    public init(
        id: String, name: String, role: Role = .agent, teams: [String] = [], capacity: Int? = nil, deputy: String? = nil,
        schedule: Schedule = .always, email: String? = nil
    ) {
        self.email = email
        self.id = id
        self.name = name
        self.role = role
        self.teams = teams
        self.capacity = capacity
        self.deputy = deputy
        self.schedule = schedule
    }

    public var isSupervisor: Bool { role == .supervisor }
}

/// Whether an agent takes new work now.
public enum AgentStatus: String, Sendable, Codable, CaseIterable {
    case available, away, offline
}

/// Who is asking: what they may see and do follows from it.
public struct Viewer: Sendable, Equatable {
    public var agentID: String
    public var isSupervisor: Bool

    public init(agentID: String, isSupervisor: Bool) {
        self.agentID = agentID
        self.isSupervisor = isSupervisor
    }

    public init(_ agent: Agent) {
        self.init(agentID: agent.id, isSupervisor: agent.isSupervisor)
    }

    /// An agent sees conversations assigned to them or owned by them; a supervisor sees all.
    public func canSee(owner: String?, assignee: String?) -> Bool {
        isSupervisor || owner == agentID || assignee == agentID
    }
}

/// The configured agents, looked up by id and by bearer token.
public struct AgentDirectory: Sendable {
    public let agents: [Agent]
    private let byID: [String: Agent]
    private let tokens: [(token: String, agentID: String)]

    public init(agents: [Agent], tokens: [String: String] = [:]) {
        self.agents = agents
        self.byID = Dictionary(agents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.tokens = tokens.map { (token: $0.value, agentID: $0.key) }
    }

    public subscript(id: String) -> Agent? { byID[id] }

    /// The agent holding `token`. Compares every configured token in constant time.
    public func agent(forToken token: String) -> Agent? {
        var found: String?
        for entry in tokens where constantTimeEquals(entry.token, token) {
            found = entry.agentID
        }
        return found.flatMap { byID[$0] }
    }

    public func supervisors(of team: String?) -> [Agent] {
        let all = agents.filter(\.isSupervisor)
        guard let team else { return all }
        let ofTeam = all.filter { $0.teams.contains(team) }
        return ofTeam.isEmpty ? all : ofTeam
    }
}

private func constantTimeEquals(_ a: String, _ b: String) -> Bool { Signatures.constantTimeEquals(a, b) }
