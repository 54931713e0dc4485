import Foundation
import SwitchboardAdapterAPI

/// One `sla:` policy: the clocks a conversation runs under when its conditions hold. Policies are
/// tried in the order written; the first whose conditions all hold applies. Clocks a policy does not
/// set come from the default policy (`routing.first_response` and the adapter's own keys).
public struct SLAPolicy: Sendable, Equatable {
    /// What a policy is chosen by; each list given must contain the conversation's value.
    public struct Conditions: Sendable, Equatable {
        public var priorities: Set<Priority>?
        /// Adapter ids the customer wrote through.
        public var adapters: Set<String>?
        /// Identity channels (`email`, `phone`, `whatsapp` …).
        public var channels: Set<String>?
        /// Customer context values (`shop.tier: gold`); unknown data never matches.
        public var context: [ContextMatch]

        public init(priorities: Set<Priority>? = nil, adapters: Set<String>? = nil, channels: Set<String>? = nil, context: [ContextMatch] = []) {
            self.priorities = priorities
            self.adapters = adapters
            self.channels = channels
            self.context = context
        }

        public var isEmpty: Bool { priorities == nil && adapters == nil && channels == nil && context.isEmpty }
    }

    public var id: String
    public var when: Conditions
    public var firstResponse: Duration?
    public var nextResponse: Duration?
    public var resolution: Duration?
    /// The hours this policy's clocks run in (nil: `routing.business_hours`).
    public var businessHours: BusinessHours?

    public init(
        id: String, when: Conditions = Conditions(), firstResponse: Duration? = nil, nextResponse: Duration? = nil,
        resolution: Duration? = nil, businessHours: BusinessHours? = nil
    ) {
        self.id = id
        self.when = when
        self.firstResponse = firstResponse
        self.nextResponse = nextResponse
        self.resolution = resolution
        self.businessHours = businessHours
    }

    /// Why the policy applies to `facts`, or nil when a condition does not hold.
    func reason(_ facts: SLAFacts) -> String? {
        if when.isEmpty { return "policy '\(id)' applies to every conversation" }
        var held: [String] = []
        if let priorities = when.priorities {
            guard priorities.contains(facts.priority) else { return nil }
            held.append("priority is \(facts.priority.rawValue)")
        }
        if let adapters = when.adapters {
            guard let adapter = facts.adapter, adapters.contains(adapter) else { return nil }
            held.append("adapter is \(adapter)")
        }
        if let channels = when.channels {
            guard let channel = facts.channel, channels.contains(channel) else { return nil }
            held.append("channel is \(channel)")
        }
        for match in when.context {
            guard match.matches(facts.context) == true else { return nil }
            held.append("\(match.key) is \(match.found(facts.context) ?? "?")")
        }
        return "policy '\(id)' applies: " + held.joined(separator: ", ")
    }
}

/// What a policy is chosen by, for one conversation.
public struct SLAFacts: Sendable, Equatable {
    public var priority: Priority
    /// The adapter of the customer's message the clock is for (the latest one, for a re-choice).
    public var adapter: String?
    public var channel: String?
    /// The customer's context-provider data known now.
    public var context: [String: JSONValue]

    public init(priority: Priority, adapter: String?, channel: String?, context: [String: JSONValue] = [:]) {
        self.priority = priority
        self.adapter = adapter
        self.channel = channel
        self.context = context
    }
}

/// The policy that applies to a conversation, with its clocks resolved for its adapter.
public struct AppliedSLA: Sendable, Equatable {
    /// The policy's id; ``SLAPolicies/defaultID`` for the default clocks.
    public var id: String
    /// Why it applies, in words for the conversation view.
    public var reason: String
    public var firstResponse: Duration
    public var nextResponse: Duration
    public var resolution: Duration?
    public var hours: BusinessHours

    public init(id: String, reason: String, firstResponse: Duration, nextResponse: Duration, resolution: Duration?, hours: BusinessHours) {
        self.id = id
        self.reason = reason
        self.firstResponse = firstResponse
        self.nextResponse = nextResponse
        self.resolution = resolution
        self.hours = hours
    }
}

/// The configured policies and the default clocks, from which one policy is chosen per conversation
/// whenever its customer writes and whenever its priority changes.
public struct SLAPolicies: Sendable {
    public static let defaultID = "default"

    public var policies: [SLAPolicy]
    private let firstResponse: @Sendable (String) -> Duration
    private let nextResponse: @Sendable (String) -> Duration
    private let resolution: @Sendable (String) -> Duration?
    private let hours: BusinessHours

    /// The default clocks per adapter (`routing` and the adapter's keys), and the policies tried first.
    public init(
        policies: [SLAPolicy] = [], firstResponse: @escaping @Sendable (String) -> Duration,
        nextResponse: @escaping @Sendable (String) -> Duration, resolution: @escaping @Sendable (String) -> Duration?,
        hours: BusinessHours
    ) {
        self.policies = policies
        self.firstResponse = firstResponse
        self.nextResponse = nextResponse
        self.resolution = resolution
        self.hours = hours
    }

    /// Whether any policy looks at context-provider data (which is known only once fetched).
    public var usesContext: Bool { policies.contains { !$0.when.context.isEmpty } }

    /// The first policy whose conditions hold, else the default clocks.
    public func choose(_ facts: SLAFacts) -> AppliedSLA {
        for policy in policies {
            if let reason = policy.reason(facts) { return resolve(policy, adapter: facts.adapter ?? "", reason: reason) }
        }
        let reason =
            policies.isEmpty
            ? "the default clocks (routing and the adapter's settings)"
            : "no policy's conditions hold: the default clocks (routing and the adapter's settings)"
        return defaultPolicy(adapter: facts.adapter ?? "", reason: reason)
    }

    /// The clocks of a policy chosen earlier (by id; the default when it is no longer configured).
    public func applied(id: String?, adapter: String?, reason: String? = nil) -> AppliedSLA {
        if let id, let policy = policies.first(where: { $0.id == id }) {
            return resolve(policy, adapter: adapter ?? "", reason: reason ?? "policy '\(id)'")
        }
        return defaultPolicy(adapter: adapter ?? "", reason: reason ?? "the default clocks (routing and the adapter's settings)")
    }

    private func defaultPolicy(adapter: String, reason: String) -> AppliedSLA {
        AppliedSLA(
            id: Self.defaultID, reason: reason, firstResponse: firstResponse(adapter), nextResponse: nextResponse(adapter),
            resolution: resolution(adapter), hours: hours)
    }

    private func resolve(_ policy: SLAPolicy, adapter: String, reason: String) -> AppliedSLA {
        let first = policy.firstResponse ?? firstResponse(adapter)
        return AppliedSLA(
            id: policy.id, reason: reason, firstResponse: first,
            nextResponse: policy.nextResponse ?? (policy.firstResponse ?? nextResponse(adapter)),
            resolution: policy.resolution ?? resolution(adapter), hours: policy.businessHours ?? hours)
    }
}
