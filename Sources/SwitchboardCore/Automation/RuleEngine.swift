import Foundation
import Logging
import Metrics
import SwitchboardAdapterAPI
import Synchronization

/// Runs rules on conversations: reads what their conditions need (off the ingestion path: context
/// data may be fetched here), evaluates them, lets ``RulePlanner`` decide and the store apply the
/// plan once per firing, then tells agents, webhooks and other rules. Also answers dry runs.
public struct RuleEngine: Sendable {
    public let rules: [Rule]
    let store: any Store
    let assignment: AssignmentPolicy
    let sla: SLAPolicies
    let adapters: AdapterRegistry
    let canned: any CannedReplies
    let context: CustomerContext?
    let events: EventBus
    let references: ConversationReferences
    let wakeOutbox: @Sendable () -> Void
    let now: @Sendable () -> Date
    let logger: Logger
    private let counters = RuleCounters()

    public init(
        rules: [Rule], store: any Store, assignment: AssignmentPolicy, sla: SLAPolicies, adapters: AdapterRegistry,
        canned: any CannedReplies = NoCannedReplies(), context: CustomerContext? = nil, events: EventBus, references: ConversationReferences,
        wakeOutbox: @escaping @Sendable () -> Void = {}, now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.rules = rules
        self.store = store
        self.assignment = assignment
        self.sla = sla
        self.adapters = adapters
        self.canned = canned
        self.context = context
        self.events = events
        self.references = references
        self.wakeOutbox = wakeOutbox
        self.now = now
        self.logger = logger
    }

    /// Runs every rule on `event` for the conversation, in the order written, except the rule whose
    /// own action caused the event. `key` identifies the event (each rule acts on it once).
    public func run(_ event: RuleEvent, conversation: Int64, message: Int64?, cause: String?, key: String) async throws {
        for rule in rules where rule.event == event && rule.id != cause {
            _ = try await fire(rule, conversation: conversation, message: message, trigger: event.rawValue, key: key)
        }
    }

    /// What one rule did on one conversation.
    public enum Outcome: Sendable, Equatable {
        case conditionsFailed
        case alreadyFired
        /// The conversation reached its limit of rule firings for the hour.
        case limited
        /// The conditions hold but no action changes anything.
        case nothingToDo
        case applied([RuleActionResult])
        case gone
    }

    /// Evaluates `rule` on the conversation and applies its actions once for `key`; with
    /// `oncePerQuietSpell`, not again until a message newer than its last firing was written (scheduled rules).
    public func fire(
        _ rule: Rule, conversation id: Int64, message: Int64?, trigger: String, key: String, oncePerQuietSpell: Bool = false
    ) async throws -> Outcome {
        guard let facts = try await store.conversationFacts(conversation: id, message: message) else { return .gone }
        let at = now()
        let loads = try await store.agentLoads()
        let context = await contextData(for: rule, facts)
        let verdict = rule.condition.evaluate(input(facts, context: context, loads: loads, at: at))
        guard verdict.held else {
            logger.debug("rule conditions do not hold", metadata: ["rule": "\(rule.id)", "conversation": "\(id)"])
            return .conditionsFailed
        }
        let invocation = RuleInvocation(
            rule: rule, facts: facts, context: context ?? [:], assignment: assignment, sla: sla,
            reply: try await prepareReply(rule, facts), references: references, trigger: trigger, now: at)
        let decided = PlanBox()
        let firing = RuleFiring(
            rule: rule.id, key: key, at: at, recentSince: at.addingTimeInterval(-3600),
            onceSince: oncePerQuietSpell ? facts.state.lastMessageAt : nil)
        let limit = RuleLimits.firingsPerConversationPerHour
        let result: RuleApplication
        do {
            result = try await store.applyRule(firing, conversation: id) { state, loads, recent in
                guard recent < limit else { return nil }
                let planned = RulePlanner.plan(invocation, state: state, loads: loads)
                decided.plan.withLock { $0 = planned }
                return planned.plan
            }
        } catch StoreError.missing(_) {
            return .gone
        }
        switch result {
        case .alreadyFired:
            return .alreadyFired
        case .declined(let recent):
            if recent >= limit {
                counters.limited(rule.id)
                logger.notice(
                    "rule skipped: the conversation reached its limit of rule firings",
                    metadata: [
                        "rule": "\(rule.id)", "conversation": "\(id)", "limit": "\(limit) per hour",
                    ])
                return .limited
            }
            return .nothingToDo
        case .applied(let applied):
            guard let planned = decided.plan.withLock({ $0 }) else { return .nothingToDo }
            publish(rule, planned, applied)
            for action in planned.results where action.done { counters.acted(rule.id, action.action) }
            if planned.queuedReply { wakeOutbox() }
            logger.info(
                "rule fired",
                metadata: [
                    "rule": "\(rule.id)", "conversation": "\(id)",
                    "actions": "\(planned.results.filter(\.done).map(\.action).joined(separator: ","))",
                ])
            return .applied(planned.results)
        }
    }

    /// Tells agents (and, through the journal, webhooks and other rules) what the rule changed.
    private func publish(_ rule: Rule, _ planned: RulePlan, _ applied: AppliedPlan) {
        let access = applied.state.access
        let before = applied.before
        let cause = rule.id
        let previous = [before.assignee].compactMap { $0 }.filter { $0 != applied.state.assignee }
        if before.priority != applied.state.priority {
            events.publish(.conversationPriority(PriorityPayload(applied, by: rule.author)), conversation: access, cause: cause)
        }
        if before.assignee != applied.state.assignee || before.owner != applied.state.owner {
            events.publish(
                .conversationAssigned(
                    AssignedPayload(
                        conversation: access.id, owner: access.owner, assignee: access.assignee,
                        reason: planned.assignmentReason ?? "Rule '\(rule.id)'")),
                conversation: access, alsoNotify: previous, cause: cause)
        }
        for (index, message) in applied.messages.enumerated() {
            if index == planned.escalationEvent {
                events.publish(.conversationEscalated(message), conversation: access, alsoNotify: previous, cause: cause)
            } else if index == planned.resolutionEvent {
                events.publish(.conversationResolved(message), conversation: access, cause: cause)
            }
            events.publish(.messageCreated(message), conversation: access, cause: cause)
        }
        events.publish(.ruleFired(planned.fired), conversation: access, cause: cause)
    }

    func input(_ facts: ConversationFacts, context: [String: JSONValue]?, loads: [String: AgentLoad], at: Date) -> RuleInput {
        let hours = sla.applied(id: facts.state.slaPolicy, adapter: facts.message?.adapter).hours
        return RuleInput(facts: facts, context: context, loads: loads, hours: hours, now: at)
    }

    /// The context data a rule needs (its conditions, or an SLA policy its priority action chooses).
    func contextData(for rule: Rule, _ facts: ConversationFacts) async -> [String: JSONValue]? {
        let choosesPolicy = sla.usesContext && rule.actions.contains { if case .priority = $0 { true } else { false } }
        guard rule.needsContext || choosesPolicy, let context else { return nil }
        return await context.view(facts.contextKeys).context
    }

    /// The rule's reply, resolved and checked against the channel's rules now.
    func prepareReply(_ rule: Rule, _ facts: ConversationFacts) async throws -> PreparedReply? {
        guard
            let reply = rule.actions.lazy.compactMap({ action -> RuleReply? in
                if case .reply(let r) = action { r } else { nil }
            }).first
        else { return nil }
        let text: String?
        switch reply {
        case .text(let t): text = t
        case .canned(let shortcut):
            let context = self.context
            let keys = facts.contextKeys
            switch try await canned.reply(shortcut, for: facts, context: { await context?.view(keys).context ?? [:] }) {
            case .text(let t): text = t
            case .unknown:
                return PreparedReply(
                    text: nil, route: nil, refusal: "no saved reply '\(shortcut)' is available to the conversation's team or everyone")
            case .unfilled(let missing):
                return PreparedReply(
                    text: nil, route: nil, refusal: "the saved reply '\(shortcut)' would leave \(missing.joined(separator: ", ")) unfilled")
            }
        }
        guard let route = try await store.replyRoute(conversation: facts.state.id, inReplyTo: nil, via: nil, identityChannel: nil) else {
            return PreparedReply(text: text, route: nil, refusal: "the customer has not written through any adapter")
        }
        guard let entry = adapters[route.adapter] else {
            return PreparedReply(text: text, route: route, refusal: "adapter '\(route.adapter)' is no longer configured")
        }
        do {
            try ReplyRules.check(text: text ?? "", route: route, capabilities: entry.adapter.capabilities, now: now())
        } catch let error as ServiceError {
            return PreparedReply(text: text, route: route, refusal: error.message)
        }
        if let refusal = entry.adapter.refusal(
            for: ReplyContext(
                to: route.address, threadRef: route.threadRef, inReplyTo: route.inReplyToExternalID, text: text ?? ""))
        {
            return PreparedReply(text: text, route: route, refusal: refusal)
        }
        return PreparedReply(text: text, route: route, refusal: nil)
    }
}

/// What the plan closure decided, read once the transaction committed.
private final class PlanBox: Sendable {
    let plan = Mutex<RulePlan?>(nil)
}

/// `switchboard_rule_actions_total{rule,action}` and `switchboard_rule_limited_total{rule}`, each made once.
final class RuleCounters: Sendable {
    private let made = Mutex<[String: Counter]>([:])

    func acted(_ rule: String, _ action: String) {
        counter("switchboard_rule_actions_total", [("rule", rule), ("action", action)]).increment()
    }

    func limited(_ rule: String) {
        counter("switchboard_rule_limited_total", [("rule", rule)]).increment()
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        made.withLock { made in
            let key = label + dimensions.map { "\u{0}" + $0.1 }.joined()
            if let counter = made[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions)
            made[key] = counter
            return counter
        }
    }
}
