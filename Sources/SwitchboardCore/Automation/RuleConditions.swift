import Foundation
import SwitchboardAdapterAPI

/// What a rule's conditions look at for one conversation, read before the rule acts.
public struct RuleInput: Sendable {
    public var facts: ConversationFacts
    /// The customer's context-provider data; nil when not fetched (no condition needed it).
    public var context: [String: JSONValue]?
    public var loads: [String: AgentLoad]
    /// The business hours of the conversation's SLA policy.
    public var hours: BusinessHours
    public var now: Date

    public init(facts: ConversationFacts, context: [String: JSONValue]?, loads: [String: AgentLoad], hours: BusinessHours, now: Date) {
        self.facts = facts
        self.context = context
        self.loads = loads
        self.hours = hours
        self.now = now
    }
}

/// One condition's verdict, with what it saw: the answer to "why did (not) this rule act?".
public struct ConditionResult: Sendable, Codable, Equatable {
    /// The condition as written (`adapter: wa, support-mail`).
    public var condition: String
    public var held: Bool
    /// What the conversation had (`the message came through shop-chat`).
    public var detail: String
    /// The conditions inside `all`, `any` and `not`.
    public var conditions: [ConditionResult]?

    public init(condition: String, held: Bool, detail: String, conditions: [ConditionResult]? = nil) {
        self.condition = condition
        self.held = held
        self.detail = detail
        self.conditions = conditions
    }
}

extension RuleCondition {
    /// Evaluates the condition (every branch, so that the explanation is complete).
    public func evaluate(_ input: RuleInput) -> ConditionResult {
        let message = input.facts.message
        let state = input.facts.state
        switch self {
        case .all(let items):
            let results = items.map { $0.evaluate(input) }
            let failed = results.filter { !$0.held }.count
            return ConditionResult(
                condition: "all", held: failed == 0,
                detail: items.isEmpty ? "no conditions" : failed == 0 ? "every condition holds" : "\(failed) of \(items.count) do not hold",
                conditions: results)
        case .any(let items):
            let results = items.map { $0.evaluate(input) }
            let held = results.contains { $0.held }
            return ConditionResult(condition: "any", held: held, detail: held ? "at least one holds" : "none holds", conditions: results)
        case .not(let inner):
            let result = inner.evaluate(input)
            return ConditionResult(
                condition: "not", held: !result.held, detail: result.held ? "the condition inside holds" : "the condition inside does not hold",
                conditions: [result])
        case .adapter(let ids):
            let adapter = message?.adapter
            return ConditionResult(
                condition: "adapter: \(RuleText.list(ids))", held: adapter.map(ids.contains) ?? false,
                detail: adapter.map { "the message came through \($0)" } ?? "there is no customer message")
        case .channel(let channels):
            let channel = message?.channel
            return ConditionResult(
                condition: "channel: \(RuleText.list(channels))", held: channel.map(channels.contains) ?? false,
                detail: channel.map { "the customer wrote on the \($0) channel" } ?? "there is no customer message")
        case .textContains(let words):
            return contains(words, in: message?.body, what: "text", key: "text_contains")
        case .textMatches(let regex):
            return matches(regex, in: message?.body, what: "text", key: "text_matches")
        case .subjectContains(let words):
            return contains(words, in: message?.metadata?["subject"], what: "subject", key: "subject_contains")
        case .subjectMatches(let regex):
            return matches(regex, in: message?.metadata?["subject"], what: "subject", key: "subject_matches")
        case .language(let languages):
            let language = message?.metadata?["language"]
            let held =
                language.map { found in
                    languages.contains { found.lowercased() == $0.lowercased() || found.lowercased().hasPrefix($0.lowercased() + "-") }
                } ?? false
            return ConditionResult(
                condition: "language: \(languages.joined(separator: ", "))", held: held,
                detail: language.map { "the message's language is \($0)" } ?? "the channel did not say the message's language")
        case .context(let match):
            let condition = "context: \(match.key) is \(match.values.joined(separator: " or "))"
            guard let context = input.context else {
                return ConditionResult(condition: condition, held: false, detail: "no context data was fetched")
            }
            switch match.matches(context) {
            case nil:
                return ConditionResult(
                    condition: condition, held: false, detail: "context provider '\(match.provider)' has no data for this customer")
            case let held?:
                return ConditionResult(
                    condition: condition, held: held, detail: match.found(context).map { "\(match.key) is \($0)" } ?? "\(match.key) is not there")
            }
        case .tags(let tags):
            let has = Set(input.facts.tags)
            let found = tags.filter(has.contains)
            return ConditionResult(
                condition: "tags: \(tags.joined(separator: ", "))", held: !found.isEmpty,
                detail: input.facts.tags.isEmpty ? "the conversation has no tags" : "its tags are \(input.facts.tags.joined(separator: ", "))")
        case .priority(let priorities):
            return ConditionResult(
                condition: "priority: \(RuleText.list(priorities.map(\.rawValue)))", held: priorities.contains(state.priority),
                detail: "the priority is \(state.priority.rawValue)")
        case .firstContact(let first):
            let contacts = input.facts.contacts
            return ConditionResult(
                condition: "contact: \(first ? "first" : "returning")", held: first ? contacts <= 1 : contacts > 1,
                detail: "the customer got in touch \(contacts) time\(contacts == 1 ? "" : "s")")
        case .waitedLongerThan(let limit):
            let condition = "waited_longer_than: \(RuleText.duration(limit))"
            let since: Date?
            let who: String
            switch state.status {
            case .open: (since, who) = (state.awaitingSince, "the customer has waited for an answer")
            case .pending: (since, who) = (state.lastMessageAt, "we have waited on the customer")
            case .resolved, .merged: (since, who) = (nil, "")
            }
            guard let since else {
                return ConditionResult(condition: condition, held: false, detail: "nobody is waiting (\(state.status.rawValue), nothing unanswered)")
            }
            let waited = input.now.timeIntervalSince(since)
            return ConditionResult(
                condition: condition, held: waited > limit.seconds, detail: "\(who) for \(RuleText.duration(.seconds(max(0, waited.rounded(.down)))))"
            )
        case .businessHours(let inside):
            let open = input.hours.isOpen(at: input.now)
            return ConditionResult(
                condition: "business_hours: \(inside ? "inside" : "outside")", held: open == inside,
                detail: open ? "it is within business hours" : "it is outside business hours")
        case .agentStatus(let statuses):
            let status = state.assignee.map { input.loads[$0]?.status.rawValue ?? "offline" } ?? "unassigned"
            return ConditionResult(
                condition: "agent_status: \(RuleText.list(statuses))", held: statuses.contains(status),
                detail: state.assignee.map { "the assignee \($0) is \(status)" } ?? "nobody is assigned")
        case .status(let statuses):
            return ConditionResult(
                condition: "status: \(RuleText.list(statuses.map(\.rawValue)))", held: statuses.contains(state.status),
                detail: "the conversation is \(state.status.rawValue)")
        case .escalated(let wanted):
            return ConditionResult(
                condition: "escalated: \(wanted)", held: state.escalated == wanted,
                detail: state.escalated ? "the conversation is escalated" : "the conversation is not escalated")
        }
    }

    private func contains(_ words: [String], in text: String?, what: String, key: String) -> ConditionResult {
        let condition = "\(key): \(words.joined(separator: ", "))"
        guard let text else { return ConditionResult(condition: condition, held: false, detail: "there is no \(what)") }
        let scanned = String(text.prefix(RuleLimits.textScan))
        let found = words.filter { scanned.range(of: $0, options: [.caseInsensitive, .diacriticInsensitive]) != nil }
        return ConditionResult(
            condition: condition, held: !found.isEmpty,
            detail: found.isEmpty ? "the \(what) contains none of them" : "the \(what) contains \(found.joined(separator: ", "))")
    }

    private func matches(_ regex: LinearRegex, in text: String?, what: String, key: String) -> ConditionResult {
        let condition = "\(key): \(regex.pattern)"
        guard let text else { return ConditionResult(condition: condition, held: false, detail: "there is no \(what)") }
        switch regex.search(text, limit: RuleLimits.textScan) {
        case .matched: return ConditionResult(condition: condition, held: true, detail: "the \(what) matches")
        case .notMatched: return ConditionResult(condition: condition, held: false, detail: "the \(what) does not match")
        case .tooCostly: return ConditionResult(condition: condition, held: false, detail: "matching the \(what) took too long: counted as no match")
        }
    }
}
