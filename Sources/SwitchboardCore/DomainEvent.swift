import Foundation
import SwitchboardAdapterAPI

/// Everything agents are told live, one case per kind; the names on the wire (SSE `event:`, the
/// PostgreSQL relay) are set here and nowhere else.
public enum DomainEvent: Sendable, Equatable {
    /// A line was added to a thread: a customer's message, a reply, a note or an event.
    case messageCreated(MessageRecord)
    /// The customer edited a message.
    case messageUpdated(MessageRecord)
    /// An attachment's content arrived (or could not be fetched): the message with its attachments now.
    case attachmentUpdated(MessageRecord)
    /// A reply's delivery moved (sent, delivered, failed, retried).
    case deliveryUpdated(MessageRecord)
    case conversationAssigned(AssignedPayload)
    case conversationEscalated(MessageRecord)
    case escalationClosed(MessageRecord)
    case conversationResolved(MessageRecord)
    /// Set pending or open again.
    case conversationStatus(MessageRecord)
    /// 80 % of a response promise has passed.
    case slaWarning(SLAPayload)
    case slaBreached(SLAPayload)
    /// Something changed in a conversation that was too large to carry (the relay between
    /// gateways has a size limit): fetch it again. `type` names the event it replaces.
    case conversationRefresh(conversation: Int64, type: String)
    /// An agent began viewing or typing in a conversation, or left it (see ``ConversationPresence``).
    case presenceUpdated(PresencePayload)
    /// The priority changed (an agent or a rule), with the SLA policy it chose.
    case conversationPriority(PriorityPayload)
    /// A customer's first message made their conversation.
    case conversationCreated(RequestPayload)
    /// A customer wrote to their resolved conversation.
    case conversationReopened(RequestPayload)
    /// A rule acted on a conversation (what it did, and why).
    case ruleFired(RuleFiredPayload)
    /// An agent was mentioned in an internal note (`@luis`), and may now read that conversation.
    case mentionCreated(Mention)

    /// The wire name of ``presenceUpdated(_:)``, which gateways keep state of when another sends it.
    public static let presenceUpdatedName = "presence.updated"
    /// The wire name of ``ruleFired(_:)``, which rules' `webhook` actions post.
    public static let ruleFiredName = "rule.fired"
    /// The wire name of ``mentionCreated(_:)``, from which gateways learn who may read what.
    public static let mentionCreatedName = "mention.created"

    /// The wire name.
    public var name: String {
        switch self {
        case .messageCreated: "message.created"
        case .messageUpdated: "message.updated"
        case .deliveryUpdated: "delivery.updated"
        case .attachmentUpdated: "attachment.updated"
        case .conversationAssigned: "conversation.assigned"
        case .conversationEscalated: "conversation.escalated"
        case .escalationClosed: "conversation.escalation_closed"
        case .conversationResolved: "conversation.resolved"
        case .conversationStatus: "conversation.status"
        case .slaWarning: "sla.warning"
        case .slaBreached: "sla.breached"
        case .conversationRefresh: "conversation.refresh"
        case .presenceUpdated: Self.presenceUpdatedName
        case .conversationPriority: "conversation.priority"
        case .conversationCreated: "conversation.created"
        case .conversationReopened: "conversation.reopened"
        case .ruleFired: Self.ruleFiredName
        case .mentionCreated: Self.mentionCreatedName
        }
    }

    /// The JSON payload.
    public func encoded() -> [UInt8] {
        switch self {
        case .messageCreated(let m), .messageUpdated(let m), .deliveryUpdated(let m), .attachmentUpdated(let m), .conversationEscalated(let m),
            .escalationClosed(let m), .conversationResolved(let m), .conversationStatus(let m):
            JSONCoding.encode(m)
        case .conversationAssigned(let p): JSONCoding.encode(p)
        case .slaWarning(let p), .slaBreached(let p): JSONCoding.encode(p)
        case .conversationRefresh(let id, let type): JSONCoding.encode(["conversation_id": JSONValue.integer(id), "type": .string(type)])
        case .presenceUpdated(let p): JSONCoding.encode(p)
        case .conversationPriority(let p): JSONCoding.encode(p)
        case .conversationCreated(let p), .conversationReopened(let p): JSONCoding.encode(p)
        case .ruleFired(let p): JSONCoding.encode(p)
        case .mentionCreated(let m): JSONCoding.encode(m)
        }
    }

    /// The event another gateway sent, decoded again; only for the kinds a gateway keeps state of
    /// (presence, the read grants of mentions). Nil for any other kind, or a payload that does not decode.
    public init?(remote type: String, data: [UInt8]) {
        switch type {
        case Self.presenceUpdatedName:
            guard let payload = try? JSONCoding.decode(PresencePayload.self, from: data) else { return nil }
            self = .presenceUpdated(payload)
        case Self.mentionCreatedName:
            guard let payload = try? JSONCoding.decode(Mention.self, from: data) else { return nil }
            self = .mentionCreated(payload)
        default:
            return nil
        }
    }
}

/// Payload of `conversation.assigned`.
public struct AssignedPayload: Codable, Sendable, Equatable {
    public var conversation: Int64
    public var owner: String?
    public var assignee: String?
    public var reason: String

    public init(conversation: Int64, owner: String?, assignee: String?, reason: String) {
        self.conversation = conversation
        self.owner = owner
        self.assignee = assignee
        self.reason = reason
    }
}

/// Payload of `conversation.created` and `conversation.reopened`.
public struct RequestPayload: Codable, Sendable, Equatable {
    public var conversation: Int64
    public var customer: Int64
    /// The customer's message that began the request.
    public var message: Int64
    public var adapter: String?
    public var channel: String?
    public var owner: String?
    public var assignee: String?

    public init(_ stored: StoredInbound) {
        conversation = stored.conversation.id
        customer = stored.customer
        message = stored.message.id
        adapter = stored.message.adapter
        channel = stored.message.channel
        owner = stored.conversation.owner
        assignee = stored.conversation.assignee
    }
}

/// Payload of `rule.fired`: a rule's verdict and what each of its actions did.
public struct RuleFiredPayload: Codable, Sendable, Equatable {
    public var rule: String
    public var conversation: Int64
    /// The event it ran on (`conversation.created`, `schedule`).
    public var trigger: String
    /// The customer's message it looked at, if any.
    public var message: Int64?
    public var actions: [RuleActionResult]

    public init(rule: String, conversation: Int64, trigger: String, message: Int64?, actions: [RuleActionResult]) {
        self.rule = rule
        self.conversation = conversation
        self.trigger = trigger
        self.message = message
        self.actions = actions
    }
}

/// What one action of a rule did (or would do), or why not.
public struct RuleActionResult: Codable, Sendable, Equatable {
    public var action: String
    /// Whether it changed something (in a dry run: whether it would).
    public var done: Bool
    public var detail: String

    public init(action: String, done: Bool, detail: String) {
        self.action = action
        self.done = done
        self.detail = detail
    }
}

/// Payload of `conversation.priority`.
public struct PriorityPayload: Codable, Sendable, Equatable {
    public var conversation: Int64
    public var priority: Priority
    public var previous: Priority
    /// The SLA policy the clocks now run under, and why.
    public var slaPolicy: String?
    public var reason: String?
    public var firstResponseDue: Date?
    public var resolutionDue: Date?
    /// The agent, or `rule:<id>`.
    public var by: String

    enum CodingKeys: String, CodingKey {
        case conversation, priority, previous, reason, by
        case slaPolicy = "sla_policy"
        case firstResponseDue = "first_response_due"
        case resolutionDue = "resolution_due"
    }

    public init(_ applied: AppliedPlan, by: String) {
        conversation = applied.state.id
        priority = applied.state.priority
        previous = applied.before.priority
        slaPolicy = applied.state.slaPolicy
        reason = applied.state.slaReason
        firstResponseDue = applied.state.firstResponseDue
        resolutionDue = applied.state.resolutionDue
        self.by = by
    }
}

/// Payload of `sla.warning` and `sla.breached`.
public struct SLAPayload: Codable, Sendable, Equatable {
    public var conversation: Int64
    public var assignee: String?
    public var owner: String?
    public var due: Date?
    public var awaitingSince: Date?

    enum CodingKeys: String, CodingKey {
        case conversation, assignee, owner, due
        case awaitingSince = "awaiting_since"
    }

    public init(_ due: PromiseDue) {
        conversation = due.conversation.id
        assignee = due.conversation.assignee
        owner = due.conversation.owner
        self.due = due.due
        awaitingSince = due.awaitingSince
    }
}

extension IngestOutcome {
    /// What agents are told about this outcome, with the conversation's access facts.
    public var events: [DomainEvent] {
        switch self {
        case .stored(let s):
            var events: [DomainEvent] = []
            switch s.started {
            case .created?: events.append(.conversationCreated(RequestPayload(s)))
            case .reopened?: events.append(.conversationReopened(RequestPayload(s)))
            case nil: break
            }
            if let a = s.assignment {
                events.append(
                    .conversationAssigned(AssignedPayload(conversation: s.conversation.id, owner: a.owner, assignee: a.assignee, reason: a.reason)))
            }
            events.append(.messageCreated(s.message))
            events += s.related.map(DomainEvent.messageCreated)
            return events
        case .deliveryUpdated(let m, _): return [.deliveryUpdated(m)]
        case .edited(let m, _): return [.messageUpdated(m)]
        case .duplicate, .ignored: return []
        }
    }
}
