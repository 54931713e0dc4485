import Foundation
import SwitchboardAdapterAPI

/// Everything the routing rules read and change about one conversation: the row as a planner
/// sees it. Engines read it, planners return the next one, engines write it back; no engine
/// decides what the fields become.
public struct ConversationState: Sendable, Equatable, Codable {
    public var id: Int64
    public var customerID: Int64
    public var status: ConversationStatus
    public var owner: String?
    public var assignee: String?
    public var team: String?
    /// Flagged for a supervisor (by an agent or a broken promise).
    public var escalated: Bool
    public var createdAt: Date
    public var lastMessageAt: Date
    public var resolvedAt: Date?
    /// The first (or next) response is due then.
    public var firstResponseDue: Date?
    /// The oldest customer message not answered yet: the reassignment timer runs from it.
    public var awaitingSince: Date?
    /// The 80 % warning of the response promise is due then.
    public var slaWarnAt: Date?
    public var slaWarned: Bool
    public var slaBreached: Bool
    /// When the conversation was last moved for waiting too long.
    public var reassignedAt: Date?
    /// A promised call back is due then.
    public var callbackDue: Date?
    public var lastAcknowledgedAt: Date?
    public var mergedInto: Int64?
    /// The first answer of the current request (a later customer message runs `next_response`).
    public var answeredAt: Date?
    public var resolutionDue: Date?
    public var resolutionBreached: Bool
    /// What a pending conversation still had of its resolution promise, in seconds of open time.
    public var resolutionLeft: Double?
    /// How urgent it is; SLA policies are chosen by it.
    public var priority: Priority
    /// The SLA policy the clocks run under (nil: none chosen yet, the default clocks), and why it applies.
    public var slaPolicy: String?
    public var slaReason: String?

    public init(
        id: Int64, customerID: Int64, status: ConversationStatus, owner: String? = nil, assignee: String? = nil, team: String? = nil,
        escalated: Bool = false, createdAt: Date, lastMessageAt: Date, resolvedAt: Date? = nil, firstResponseDue: Date? = nil,
        awaitingSince: Date? = nil, slaWarnAt: Date? = nil, slaWarned: Bool = false, slaBreached: Bool = false,
        reassignedAt: Date? = nil, callbackDue: Date? = nil, lastAcknowledgedAt: Date? = nil, mergedInto: Int64? = nil,
        answeredAt: Date? = nil, resolutionDue: Date? = nil, resolutionBreached: Bool = false, resolutionLeft: Double? = nil,
        priority: Priority = .normal, slaPolicy: String? = nil, slaReason: String? = nil
    ) {
        self.priority = priority
        self.slaPolicy = slaPolicy
        self.slaReason = slaReason
        self.id = id
        self.customerID = customerID
        self.status = status
        self.owner = owner
        self.assignee = assignee
        self.team = team
        self.escalated = escalated
        self.createdAt = createdAt
        self.lastMessageAt = lastMessageAt
        self.resolvedAt = resolvedAt
        self.firstResponseDue = firstResponseDue
        self.awaitingSince = awaitingSince
        self.slaWarnAt = slaWarnAt
        self.slaWarned = slaWarned
        self.slaBreached = slaBreached
        self.reassignedAt = reassignedAt
        self.callbackDue = callbackDue
        self.lastAcknowledgedAt = lastAcknowledgedAt
        self.mergedInto = mergedInto
        self.answeredAt = answeredAt
        self.resolutionDue = resolutionDue
        self.resolutionBreached = resolutionBreached
        self.resolutionLeft = resolutionLeft
    }

    /// Reads states recorded before priorities and SLA policies existed (merge records keep them as JSON).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(Int64.self, forKey: .id), customerID: try c.decode(Int64.self, forKey: .customerID),
            status: try c.decode(ConversationStatus.self, forKey: .status), owner: try c.decodeIfPresent(String.self, forKey: .owner),
            assignee: try c.decodeIfPresent(String.self, forKey: .assignee), team: try c.decodeIfPresent(String.self, forKey: .team),
            escalated: try c.decode(Bool.self, forKey: .escalated), createdAt: try c.decode(Date.self, forKey: .createdAt),
            lastMessageAt: try c.decode(Date.self, forKey: .lastMessageAt), resolvedAt: try c.decodeIfPresent(Date.self, forKey: .resolvedAt),
            firstResponseDue: try c.decodeIfPresent(Date.self, forKey: .firstResponseDue),
            awaitingSince: try c.decodeIfPresent(Date.self, forKey: .awaitingSince), slaWarnAt: try c.decodeIfPresent(Date.self, forKey: .slaWarnAt),
            slaWarned: try c.decode(Bool.self, forKey: .slaWarned), slaBreached: try c.decode(Bool.self, forKey: .slaBreached),
            reassignedAt: try c.decodeIfPresent(Date.self, forKey: .reassignedAt),
            callbackDue: try c.decodeIfPresent(Date.self, forKey: .callbackDue),
            lastAcknowledgedAt: try c.decodeIfPresent(Date.self, forKey: .lastAcknowledgedAt),
            mergedInto: try c.decodeIfPresent(Int64.self, forKey: .mergedInto), answeredAt: try c.decodeIfPresent(Date.self, forKey: .answeredAt),
            resolutionDue: try c.decodeIfPresent(Date.self, forKey: .resolutionDue),
            resolutionBreached: try c.decodeIfPresent(Bool.self, forKey: .resolutionBreached) ?? false,
            resolutionLeft: try c.decodeIfPresent(Double.self, forKey: .resolutionLeft),
            priority: try c.decodeIfPresent(Priority.self, forKey: .priority) ?? .normal,
            slaPolicy: try c.decodeIfPresent(String.self, forKey: .slaPolicy), slaReason: try c.decodeIfPresent(String.self, forKey: .slaReason))
    }

    /// The facts access checks and live events need.
    public var access: ConversationAccess {
        ConversationAccess(id: id, owner: owner, assignee: assignee, team: team, status: status)
    }

    /// Whether it counts in its assignee's load (open or pending: someone is on it).
    public var carriesLoad: Bool { status == .open || status == .pending }

    /// No promise is running: a reply, a resolution or a merge stopped the clocks.
    mutating func stopResponseClocks() {
        firstResponseDue = nil
        awaitingSince = nil
        slaWarnAt = nil
        slaWarned = false
        slaBreached = false
        reassignedAt = nil
        callbackDue = nil
    }
}
