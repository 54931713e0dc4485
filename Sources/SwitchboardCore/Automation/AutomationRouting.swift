import Foundation

/// Which consumers of the automation queue an event goes to: the webhook endpoints subscribed to
/// it, and the rules when a rule runs on it. Pure and made once from the configuration; empty
/// (and free) when neither rules nor webhooks are configured.
public struct AutomationRouting: Sendable {
    /// Each endpoint's id and the event names it takes (`*`: all).
    public struct Subscription: Sendable {
        public var endpoint: String
        public var events: Set<String>

        public init(endpoint: String, events: Set<String>) {
            self.endpoint = endpoint
            self.events = events
        }

        /// `*` is every event of ``AutomationRouting/webhookEvents`` (never the console's presence
        /// and typing, nor the relay's refreshes).
        func takes(_ name: String) -> Bool {
            events.contains(name) || (events.contains("*") && AutomationRouting.webhookEventSet.contains(name))
        }
    }

    public let subscriptions: [Subscription]
    /// The rules' events that something runs on.
    public let ruleEvents: Set<RuleEvent>

    public init(subscriptions: [Subscription], rules: [Rule]) {
        self.subscriptions = subscriptions
        self.ruleEvents = Set(rules.compactMap(\.event))
    }

    public var isEmpty: Bool { subscriptions.isEmpty && ruleEvents.isEmpty }

    /// Whether rules run on customers' messages (their acknowledgements then wait for the rules).
    public var rulesSeeCustomerMessages: Bool { !requestsRulesSee.isEmpty }

    /// The requests whose first message the rules look at: a new conversation (`conversation.created`,
    /// `message.created`), a reopened one (`conversation.reopened`, `status.changed`, `message.created`).
    /// Only these acknowledgements wait for the rules; the others go at once.
    public var requestsRulesSee: Set<RequestStart> {
        var starts = Set<RequestStart>()
        if !ruleEvents.isDisjoint(with: [.conversationCreated, .messageCreated]) { starts.insert(.created) }
        if !ruleEvents.isDisjoint(with: [.conversationReopened, .statusChanged, .messageCreated]) { starts.insert(.reopened) }
        return starts
    }

    /// The event names a webhook endpoint may subscribe to: every live event but the console's own.
    public static let webhookEvents: [String] = [
        "message.created", "message.updated", "delivery.updated", "conversation.created", "conversation.reopened",
        "conversation.assigned", "conversation.escalated", "conversation.escalation_closed", "conversation.resolved",
        "conversation.status", "conversation.priority", "sla.warning", "sla.breached", "rule.fired",
    ]

    static let webhookEventSet = Set(webhookEvents)

    /// The rules' events an event stands for.
    public static func ruleEvents(of event: DomainEvent) -> [RuleEvent] {
        switch event {
        case .conversationCreated: [.conversationCreated]
        case .conversationReopened: [.conversationReopened, .statusChanged]
        case .messageCreated(let m): m.direction == .inbound ? [.messageCreated] : []
        case .conversationAssigned: [.conversationAssigned]
        case .slaWarning: [.slaWarning]
        case .slaBreached: [.slaBreached]
        case .conversationStatus, .conversationResolved: [.statusChanged]
        default: []
        }
    }

    /// The queue entries for one event of a conversation.
    public func queued(_ event: DomainEvent, conversation: Int64, cause: String?, at: Date) -> [QueuedEvent] {
        guard !isEmpty else { return [] }
        let name = event.name
        let wantsRules = !ruleEvents.isEmpty && Self.ruleEvents(of: event).contains(where: ruleEvents.contains)
        let endpoints = subscriptions.filter { $0.takes(name) }
        guard wantsRules || !endpoints.isEmpty else { return [] }
        let payload = String(decoding: event.encoded(), as: UTF8.self)
        var entries = endpoints.map {
            QueuedEvent(
                consumer: AutomationConsumer.webhook($0.endpoint), conversationID: conversation, type: name, payload: payload, cause: cause,
                createdAt: at)
        }
        if wantsRules {
            entries.append(
                QueuedEvent(
                    consumer: AutomationConsumer.rules, conversationID: conversation, type: name, payload: payload, cause: cause, createdAt: at))
        }
        return entries
    }

    /// The entries an ingestion outcome causes (written in its transaction).
    public func queued(_ outcome: IngestOutcome, at: Date) -> [QueuedEvent] {
        guard !isEmpty, let conversation = outcome.access?.id else { return [] }
        return outcome.events.flatMap { queued($0, conversation: conversation, cause: nil, at: at) }
    }
}
