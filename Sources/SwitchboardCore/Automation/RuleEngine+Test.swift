import Foundation
import SwitchboardAdapterAPI

/// A dry run of a rule on one message: which conditions held, what would happen, what would not and why.
public struct RuleTestReport: Sendable, Codable, Equatable {
    public var rule: String
    /// `conversation.created`, …, or `schedule: every 15m`.
    public var on: String
    public var conversation: Int64
    public var message: Int64
    /// Whether every condition holds now.
    public var matched: Bool
    public var conditions: ConditionResult
    /// Each action, whether it would change the conversation, and what it would do or why not.
    public var actions: [RuleActionResult]
    /// In one sentence.
    public var summary: String
}

extension RuleEngine {
    /// Evaluates rule `id` on message `messageID`'s conversation as it stands, changing nothing.
    /// Supervisors only.
    public func test(rule id: String, message messageID: Int64, by viewer: Viewer) async throws -> RuleTestReport {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors test rules") }
        guard let rule = rules.first(where: { $0.id == id }) else { throw ServiceError.notFound("rule '\(id)'") }
        guard let access = try await store.access(message: messageID),
            let facts = try await store.conversationFacts(conversation: access.id, message: messageID)
        else { throw ServiceError.notFound("message \(messageID)") }
        let at = now()
        let loads = try await store.agentLoads()
        let context = await contextData(for: rule, facts)
        let verdict = rule.condition.evaluate(input(facts, context: context, loads: loads, at: at))
        var actions: [RuleActionResult]
        var summary: String
        if verdict.held {
            let invocation = RuleInvocation(
                rule: rule, facts: facts, context: context ?? [:], assignment: assignment, sla: sla,
                reply: try await prepareReply(rule, facts), references: references, trigger: rule.trigger.description, now: at)
            actions = RulePlanner.plan(invocation, state: facts.state, loads: loads).results
            let would = actions.filter(\.done).count
            summary =
                "The conditions hold: \(would) of \(actions.count) action\(actions.count == 1 ? "" : "s") would change the conversation"
                + (would < actions.count ? "; the others would not (see why)" : "") + "."
        } else {
            actions = rule.actions.map { RuleActionResult(action: $0.name, done: false, detail: "not run: the conditions do not hold") }
            let first = Self.firstFailure(verdict)
            summary = "The conditions do not hold: \(first.condition) (\(first.detail))."
        }
        if case .event(let event) = rule.trigger, facts.message?.direction == .inbound, event == .conversationCreated, facts.contacts > 1 {
            summary += " Note: the rule runs on conversation.created, once per customer; this customer has written \(facts.contacts) times."
        }
        return RuleTestReport(
            rule: rule.id, on: rule.trigger.description, conversation: access.id, message: messageID, matched: verdict.held,
            conditions: verdict, actions: actions, summary: summary)
    }

    /// The innermost condition that failed first, for the summary.
    static func firstFailure(_ result: ConditionResult) -> ConditionResult {
        guard !result.held else { return result }
        if result.condition == "all", let failed = result.conditions?.first(where: { !$0.held }) { return firstFailure(failed) }
        return result
    }
}
