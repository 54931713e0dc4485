import Foundation

/// A saved reply: text an agent inserts with `/shortcut` and edits before sending.
public struct CannedResponse: Sendable, Codable, Equatable {
    public var id: Int64
    /// What follows `/` in the reply box (letters, digits, `-`, `_`; lower case).
    public var shortcut: String
    public var title: String
    /// The text, with placeholders (see ``CannedResponseRenderer``).
    public var body: String
    public var scope: CannedResponseScope
    /// The language it is written in (`es`, `en`, …), if said.
    public var language: String?
    /// Whose it is, for a personal one.
    public var owner: String?
    public var updatedAt: Date
    /// How many times it was inserted (shown to supervisors).
    public var uses: Int?

    enum CodingKeys: String, CodingKey {
        case id, shortcut, title, body, scope, language, owner, uses
        case updatedAt = "updated_at"
    }

    public init(
        id: Int64, shortcut: String, title: String, body: String, scope: CannedResponseScope, language: String?, owner: String?,
        updatedAt: Date, uses: Int? = nil
    ) {
        self.id = id
        self.shortcut = shortcut
        self.title = title
        self.body = body
        self.scope = scope
        self.language = language
        self.owner = owner
        self.updatedAt = updatedAt
        self.uses = uses
    }
}

/// Who a saved reply is for: its author alone, one team, or everyone. On the wire `personal`,
/// `team:<id>` or `everyone`.
public enum CannedResponseScope: Sendable, Equatable, Hashable, Codable {
    case personal
    case team(String)
    case everyone

    public init?(_ text: String) {
        switch text {
        case "personal": self = .personal
        case "everyone": self = .everyone
        default:
            guard text.hasPrefix("team:"), case let team = String(text.dropFirst(5)), !team.isEmpty, team.count <= 64 else { return nil }
            self = .team(team)
        }
    }

    public var text: String {
        switch self {
        case .personal: "personal"
        case .team(let team): "team:\(team)"
        case .everyone: "everyone"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let scope = CannedResponseScope(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a scope: \(text)"))
        }
        self = scope
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// What an agent sends to create or change a saved reply.
public struct CannedResponseDraft: Sendable, Equatable {
    public var shortcut: String
    public var title: String
    public var body: String
    public var scope: CannedResponseScope
    public var language: String?

    public init(shortcut: String, title: String, body: String, scope: CannedResponseScope, language: String?) {
        self.shortcut = shortcut
        self.title = title
        self.body = body
        self.scope = scope
        self.language = language
    }
}

/// Which saved replies someone may use: their own, their teams', everyone's (supervisors: every team's).
public struct CannedResponseAudience: Sendable, Equatable {
    public var agent: String
    public var teams: [String]
    public var allTeams: Bool

    public init(agent: String, teams: [String], allTeams: Bool) {
        self.agent = agent
        self.teams = teams
        self.allTeams = allTeams
    }

    public init(_ agent: Agent) {
        self.init(agent: agent.id, teams: agent.teams, allTeams: agent.isSupervisor)
    }

    /// Whether `response` is one of those.
    public func reaches(_ response: CannedResponse) -> Bool {
        switch response.scope {
        case .personal: response.owner == agent
        case .team(let team): allTeams || teams.contains(team)
        case .everyone: true
        }
    }
}
