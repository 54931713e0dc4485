import Foundation
import SwitchboardAdapterAPI

/// How the team is doing, for supervisors: `GET /api/v1/reports/summary`.
public struct ReportSummary: Sendable, Codable, Equatable {
    public struct AgentFigures: Sendable, Codable, Equatable {
        public var agent: String
        public var status: String
        public var assigned: Int
        public var owned: Int

        public init(agent: String, status: String, assigned: Int, owned: Int) {
            self.agent = agent
            self.status = status
            self.assigned = assigned
            self.owned = owned
        }
    }

    public var since: Date
    public var now: Date
    /// Conversations by status now.
    public var conversations: [String: Int]
    /// Requests started (new conversations) and resolved since `since`.
    public var started: Int
    public var resolved: Int
    /// Open conversations flagged escalated, and those whose response or resolution promise is broken.
    public var escalated: Int
    public var breached: Int
    /// Open conversations waiting for an answer, and nobody assigned.
    public var awaitingAnswer: Int
    public var unassigned: Int
    /// Seconds from a request's first message to its first answer, over requests started since `since`.
    public var firstResponseMedianSeconds: Double?
    public var firstResponseP90Seconds: Double?
    public var agents: [AgentFigures]

    enum CodingKeys: String, CodingKey {
        case since, now, conversations, started, resolved, escalated, breached, unassigned, agents
        case awaitingAnswer = "awaiting_answer"
        case firstResponseMedianSeconds = "first_response_median_seconds"
        case firstResponseP90Seconds = "first_response_p90_seconds"
    }

    public init(
        since: Date, now: Date, conversations: [String: Int], started: Int, resolved: Int, escalated: Int, breached: Int,
        awaitingAnswer: Int, unassigned: Int, firstResponseMedianSeconds: Double?, firstResponseP90Seconds: Double?,
        agents: [AgentFigures]
    ) {
        self.since = since
        self.now = now
        self.conversations = conversations
        self.started = started
        self.resolved = resolved
        self.escalated = escalated
        self.breached = breached
        self.awaitingAnswer = awaitingAnswer
        self.unassigned = unassigned
        self.firstResponseMedianSeconds = firstResponseMedianSeconds
        self.firstResponseP90Seconds = firstResponseP90Seconds
        self.agents = agents
    }
}

/// One line of `GET /api/v1/reports/conversations.csv`.
public struct ConversationExportRow: Sendable, Equatable {
    public var id: Int64
    public var status: String
    public var customerID: Int64
    public var customerName: String?
    public var owner: String?
    public var assignee: String?
    public var team: String?
    public var escalated: Bool
    public var createdAt: Date?
    public var answeredAt: Date?
    public var resolvedAt: Date?
    public var lastMessageAt: Date?
    public var firstResponseDue: Date?
    public var resolutionDue: Date?
    public var breached: Bool
    public var inbound: Int
    public var outbound: Int

    public init(
        id: Int64, status: String, customerID: Int64, customerName: String?, owner: String?, assignee: String?, team: String?,
        escalated: Bool, createdAt: Date?, answeredAt: Date?, resolvedAt: Date?, lastMessageAt: Date?, firstResponseDue: Date?,
        resolutionDue: Date?, breached: Bool, inbound: Int, outbound: Int
    ) {
        self.id = id
        self.status = status
        self.customerID = customerID
        self.customerName = customerName
        self.owner = owner
        self.assignee = assignee
        self.team = team
        self.escalated = escalated
        self.createdAt = createdAt
        self.answeredAt = answeredAt
        self.resolvedAt = resolvedAt
        self.lastMessageAt = lastMessageAt
        self.firstResponseDue = firstResponseDue
        self.resolutionDue = resolutionDue
        self.breached = breached
        self.inbound = inbound
        self.outbound = outbound
    }

    public static let csvHeader =
        "id,reference,status,customer_id,customer_name,owner,assignee,team,escalated,breached,created_at,answered_at,resolved_at,last_message_at,first_response_due,resolution_due,inbound_messages,outbound_messages"

    /// RFC 4180: fields with commas, quotes or line breaks are quoted; a leading `=`, `+`, `-` or `@`
    /// is prefixed with `'` so a spreadsheet never runs a customer's name as a formula.
    public func csvLine(reference: String) -> String {
        func field(_ text: String?) -> String {
            guard var t = text else { return "" }
            if let first = t.first, "=+-@".contains(first) { t = "'" + t }
            return t.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : t
        }
        func time(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "" }
        return [
            String(id), reference, status, String(customerID), field(customerName), field(owner), field(assignee),
            field(team), escalated ? "true" : "false", breached ? "true" : "false", time(createdAt), time(answeredAt), time(resolvedAt),
            time(lastMessageAt), time(firstResponseDue), time(resolutionDue), String(inbound), String(outbound),
        ].joined(separator: ",")
    }
}
