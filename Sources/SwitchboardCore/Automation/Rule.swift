import Foundation
import SwitchboardAdapterAPI

/// One `rules:` entry: when it runs (an event, or a schedule), what must hold, what it does.
public struct Rule: Sendable {
    public enum Trigger: Sendable, Equatable {
        case event(RuleEvent)
        /// `schedule: "every 15m"`: on the leader, over open and pending conversations.
        case schedule(every: Duration)

        public var description: String {
            switch self {
            case .event(let e): e.rawValue
            case .schedule(let every): "schedule: every \(RuleText.duration(every))"
            }
        }
    }

    public var id: String
    public var trigger: Trigger
    /// All of these must hold (the `if:` mapping).
    public var condition: RuleCondition
    public var actions: [RuleAction]

    public init(id: String, trigger: Trigger, condition: RuleCondition = .all([]), actions: [RuleAction]) {
        self.id = id
        self.trigger = trigger
        self.condition = condition
        self.actions = actions
    }

    /// The events a rule may run on (`on:`).
    public var event: RuleEvent? { if case .event(let e) = trigger { e } else { nil } }

    /// Whether any condition needs context-provider data (fetched, off the ingestion path).
    public var needsContext: Bool { condition.needsContext }

    /// The author rules write under in threads and events: `rule:<id>`.
    public var author: String { "rule:\(id)" }
}

/// What a rule can run on.
public enum RuleEvent: String, Sendable, CaseIterable {
    case conversationCreated = "conversation.created"
    /// A customer's message (not agents' replies, notes or events).
    case messageCreated = "message.created"
    case conversationAssigned = "conversation.assigned"
    case conversationReopened = "conversation.reopened"
    case slaWarning = "sla.warning"
    case slaBreached = "sla.breached"
    /// Set pending, open again, resolved or reopened.
    case statusChanged = "status.changed"

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")

    /// Whether a rule on this event sees the message that caused it (acknowledgements wait for it).
    public var isCustomerMessage: Bool { self == .conversationCreated || self == .messageCreated || self == .conversationReopened }
}

/// What must hold for a rule to act. The `if:` mapping is `all`; `any: [...]` and `not: {...}` nest.
public indirect enum RuleCondition: Sendable {
    case all([RuleCondition])
    case any([RuleCondition])
    case not(RuleCondition)
    /// The adapter the message came through.
    case adapter(Set<String>)
    /// The identity channel of the message (`email`, `phone`, `whatsapp` …).
    case channel(Set<String>)
    /// The text contains any of these (case-insensitive).
    case textContains([String])
    case textMatches(LinearRegex)
    case subjectContains([String])
    case subjectMatches(LinearRegex)
    /// The message's language (`metadata.language`, as the adapter reports it) starts with one of these.
    case language([String])
    case context(ContextMatch)
    /// The conversation has any of these tags.
    case tags([String])
    case priority(Set<Priority>)
    /// `contact: first` (the customer's first contact) or `returning`.
    case firstContact(Bool)
    /// The side waited on has been silent this long: the customer waiting for an answer (open) since
    /// their oldest unanswered message, or we waiting on the customer (pending) since the last message.
    case waitedLongerThan(Duration)
    /// Inside or outside the business hours of the conversation's SLA policy.
    case businessHours(inside: Bool)
    /// The assignee's status (`available`, `away`, `offline`) or `unassigned`.
    case agentStatus(Set<String>)
    case status(Set<ConversationStatus>)
    case escalated(Bool)

    var needsContext: Bool {
        switch self {
        case .all(let items), .any(let items): items.contains { $0.needsContext }
        case .not(let inner): inner.needsContext
        case .context: true
        default: false
        }
    }
}

/// Something a rule does, in the order written.
public enum RuleAction: Sendable {
    case priority(Priority)
    case tag([String])
    /// The least-loaded available agent of the team takes it (or it waits for the team); with
    /// `keepOwner` the owner stays the owner.
    case assignTeam(String, keepOwner: Bool)
    /// This agent takes it when available (capacity and shift included).
    case assignAgent(String, keepOwner: Bool)
    /// To the least-loaded supervisor of the team, flagged escalated.
    case escalate(reason: String?)
    case note(String)
    case reply(RuleReply)
    case resolve
    /// Resolved quietly, tagged `spam`, and no acknowledgement goes out.
    case spam
    /// Posts `rule.fired` to this integration (a `webhooks:` entry).
    case webhook(String)

    /// The action's name, as written in the configuration and in metrics.
    public var name: String {
        switch self {
        case .priority: "priority"
        case .tag: "tag"
        case .assignTeam: "assign_team"
        case .assignAgent: "assign_agent"
        case .escalate: "escalate"
        case .note: "note"
        case .reply: "reply"
        case .resolve: "resolve"
        case .spam: "spam"
        case .webhook: "webhook"
        }
    }
}

/// What a rule's reply says: a text of its own, or a saved reply by id.
public enum RuleReply: Sendable, Equatable {
    /// With the placeholders `{customer}`, `{reference}`, `{owner}`, `{agent}`.
    case text(String)
    case canned(String)
}

/// The limits that keep rules from running away.
public enum RuleLimits {
    /// Rule firings one conversation may see in an hour; more are skipped (and counted).
    public static let firingsPerConversationPerHour = 20
    /// How much of a text the text conditions read.
    public static let textScan = 10_000
    /// How long an acknowledgement waits for the rules of the message that caused it.
    public static let acknowledgementHold: Duration = .seconds(10)
}

/// Small formatting shared by rules' explanations.
enum RuleText {
    static func duration(_ d: Duration) -> String {
        let s = Int(d.seconds)
        if s % 86400 == 0 { return "\(s / 86400)d" }
        if s % 3600 == 0 { return "\(s / 3600)h" }
        if s % 60 == 0 { return "\(s / 60)m" }
        return "\(s)s"
    }

    static func list(_ items: some Sequence<String>) -> String { items.sorted().joined(separator: ", ") }
}
