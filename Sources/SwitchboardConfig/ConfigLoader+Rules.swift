import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// `rules:` and `webhooks:`, every problem with its line: an unknown condition, action or event, a
/// pattern that does not compile, a name that is not configured.
extension ConfigLoader {
    static let conditionKeys = [
        "adapter", "channel", "text_contains", "text_matches", "subject_contains", "subject_matches", "language", "context", "tags",
        "priority", "contact", "waited_longer_than", "business_hours", "agent_status", "status", "escalated", "all", "any", "not",
    ]
    static let actionKeys = [
        "priority", "tag", "assign_team", "assign_agent", "escalate", "note", "reply", "resolve", "spam", "webhook",
    ]

    static func readRules(_ sections: [ConfigSection], names: AutomationNames) -> [Rule] {
        var seen = Set<String>()
        return sections.compactMap { s in
            defer { s.finish() }
            guard let id = s.requiredString("id") else { return nil }
            if id.range(of: idPattern, options: .regularExpression) == nil {
                s.problem("id", "'\(id)' must be letters, digits, '.', '_' or '-' (it appears in URLs and metrics)")
            }
            if !seen.insert(id).inserted { s.problem("id", "rule id '\(id)' is used twice") }
            var trigger: Rule.Trigger?
            switch (s.string("on"), s.string("schedule")) {
            case (let on?, nil):
                if let event = RuleEvent(rawValue: on) {
                    trigger = .event(event)
                } else {
                    s.problem("on", "unknown event '\(on)' (events: \(RuleEvent.names); or 'schedule: \"every 15m\"' instead of 'on')")
                }
            case (nil, let schedule?):
                let parts = schedule.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2, parts[0] == "every", let every = DurationParser.parse(String(parts[1])), every >= .seconds(1) {
                    trigger = .schedule(every: every)
                } else {
                    s.problem("schedule", "'\(schedule)' is not a schedule such as \"every 15m\" (at least every 1s)")
                }
            case (_?, _?):
                s.problem("schedule", "a rule runs either 'on' an event or on a 'schedule', not both")
            case (nil, nil):
                s.problem(nil, "rule '\(id)' needs 'on: EVENT' (\(RuleEvent.names)) or 'schedule: \"every 15m\"'")
            }
            let condition = s.section("if").map { conditions($0, names: names) } ?? .all([])
            let actions = s.sections("then").compactMap { action($0, names: names) }
            if !s.has("then") { s.problem(nil, "rule '\(id)' has no 'then:' list of actions") }
            guard let trigger, !actions.isEmpty else { return nil }
            let replies = actions.filter { if case .reply = $0 { true } else { false } }.count
            if replies > 1 { s.problem("then", "a rule replies once at most (found \(replies) replies)") }
            if case .schedule = trigger, replies > 0 {
                s.problem("then", "a scheduled rule cannot reply: customers are only answered when they write (use a note or escalate)")
            }
            return Rule(id: id, trigger: trigger, condition: condition, actions: actions)
        }
    }

    /// A mapping of conditions, all of which must hold.
    static func conditions(_ s: ConfigSection, names: AutomationNames) -> RuleCondition {
        var all: [RuleCondition] = []
        for key in s.keys {
            guard conditionKeys.contains(key) else {
                _ = s.node(key)
                s.problem(key, "unknown condition '\(key)' (conditions: \(conditionKeys.joined(separator: ", ")))")
                continue
            }
            if let condition = condition(key, in: s, names: names) { all.append(condition) }
        }
        return .all(all)
    }

    static func condition(_ key: String, in s: ConfigSection, names: AutomationNames) -> RuleCondition? {
        func nonEmpty(_ values: [String]) -> [String]? {
            if values.isEmpty { s.problem(key, "'\(key)' needs at least one value") }
            return values.isEmpty ? nil : values
        }
        func pattern(_ text: String?) -> LinearRegex? {
            guard let text else { return nil }
            do { return try LinearRegex(text) } catch {
                s.problem(key, "the pattern does not compile: \(error.message)")
                return nil
            }
        }
        switch key {
        case "adapter": return nonEmpty(adapterIDs(s, key, names: names)).map { .adapter(Set($0)) }
        case "channel": return nonEmpty(s.stringList(key)).map { .channel(Set($0)) }
        case "text_contains": return nonEmpty(s.stringList(key)).map { .textContains($0) }
        case "subject_contains": return nonEmpty(s.stringList(key)).map { .subjectContains($0) }
        case "text_matches": return pattern(s.string(key)).map { .textMatches($0) }
        case "subject_matches": return pattern(s.string(key)).map { .subjectMatches($0) }
        case "language": return nonEmpty(s.stringList(key)).map { .language($0) }
        case "tags": return nonEmpty(s.stringList(key).map { $0.lowercased() }).map { .tags($0) }
        case "priority":
            let values = priorities(s, key)
            return values.isEmpty ? nil : .priority(Set(values))
        case "context":
            guard let section = s.section(key) else { return nil }
            let matches = contextMatches(section, names: names)
            // One value is one condition (as the dry run names it); several must all hold.
            if matches.count == 1 { return .context(matches[0]) }
            return matches.isEmpty ? nil : .all(matches.map { .context($0) })
        case "contact":
            return s.choice(key, ["first", "returning"]).map { .firstContact($0 == "first") }
        case "waited_longer_than": return s.duration(key).map { .waitedLongerThan($0) }
        case "business_hours": return s.choice(key, ["inside", "outside"]).map { .businessHours(inside: $0 == "inside") }
        case "agent_status":
            let allowed = ["available", "away", "offline", "unassigned"]
            let values = s.stringList(key)
            for value in values where !allowed.contains(value) { s.problem(key, "'\(value)' is not one of \(allowed.joined(separator: ", "))") }
            return nonEmpty(values).map { .agentStatus(Set($0)) }
        case "status":
            let values = s.stringList(key)
            let statuses = values.compactMap { value -> ConversationStatus? in
                guard let status = ConversationStatus(rawValue: value), status != .merged else {
                    s.problem(key, "'\(value)' is not one of open, pending, resolved")
                    return nil
                }
                return status
            }
            return statuses.isEmpty ? nil : .status(Set(statuses))
        case "escalated": return .escalated(s.bool(key, default: true))
        case "all", "any":
            let items = s.sections(key).map { conditions($0, names: names) }
            if items.isEmpty { s.problem(key, "'\(key)' needs a list of conditions") }
            return key == "all" ? .all(items) : .any(items)
        case "not":
            return s.section(key).map { .not(conditions($0, names: names)) }
        default:
            return nil
        }
    }

    /// One item of `then:`: a mapping with one action (and its options).
    static func action(_ s: ConfigSection, names: AutomationNames) -> RuleAction? {
        defer { s.finish() }
        let found = s.keys.filter(actionKeys.contains)
        let unknown = s.keys.filter { !actionKeys.contains($0) && $0 != "keep_owner" }
        for key in unknown {
            _ = s.node(key)
            s.problem(key, "unknown action '\(key)' (actions: \(actionKeys.joined(separator: ", ")))")
        }
        guard found.count == 1, let key = found.first else {
            if found.count > 1 { s.problem(nil, "one action per item of 'then:' (found \(found.joined(separator: ", ")))") }
            if found.isEmpty && unknown.isEmpty { s.problem(nil, "an item of 'then:' needs an action (\(actionKeys.joined(separator: ", ")))") }
            return nil
        }
        let keepOwner = s.bool("keep_owner", default: true)
        if s.has("keep_owner"), key != "assign_team", key != "assign_agent" {
            s.problem("keep_owner", "'keep_owner' goes with assign_team or assign_agent")
        }
        switch key {
        case "priority":
            guard let text = s.string(key) else { return nil }
            guard let priority = Priority(rawValue: text) else {
                s.problem(key, "'\(text)' is not a priority (\(Priority.names))")
                return nil
            }
            return .priority(priority)
        case "tag":
            let tags = s.stringList(key).map { $0.trimmed.lowercased() }
            guard !tags.isEmpty, tags.allSatisfy({ (1...50).contains($0.count) }) else {
                s.problem(key, "'tag' needs tags of 1 to 50 characters")
                return nil
            }
            return .tag(tags)
        case "assign_team":
            guard let team = s.string(key) else { return nil }
            if !names.teams.contains(team) { s.problem(key, "no agent is in team '\(team)'") }
            return .assignTeam(team, keepOwner: keepOwner)
        case "assign_agent":
            guard let agent = s.string(key) else { return nil }
            if names.agents[agent] == nil { s.problem(key, "there is no agent '\(agent)'") }
            if names.agents[agent]?.role == .supervisor { s.problem(key, "'\(agent)' is a supervisor: use 'escalate' to hand over to supervisors") }
            return .assignAgent(agent, keepOwner: keepOwner)
        case "escalate":
            let reason = s.string(key)
            return .escalate(reason: reason.flatMap { ["true", "yes"].contains($0.lowercased()) ? nil : $0 })
        case "note":
            guard let text = s.string(key), !text.trimmed.isEmpty else {
                s.problem(key, "'note' needs the note's text")
                return nil
            }
            return .note(text)
        case "reply":
            guard let reply = s.section(key) else {
                s.problem(key, "'reply' needs { text: \"…\" } or { canned: ID }")
                return nil
            }
            defer { reply.finish() }
            switch (reply.string("text"), reply.string("canned")) {
            case (let text?, nil) where !text.trimmed.isEmpty: return .reply(.text(text))
            case (nil, let id?) where !id.isEmpty: return .reply(.canned(id))
            default:
                reply.problem(nil, "'reply' needs either 'text' or 'canned' (a saved reply's id)")
                return nil
            }
        case "resolve":
            return s.bool(key, default: true) ? .resolve : nil
        case "spam":
            return s.bool(key, default: true) ? .spam : nil
        case "webhook":
            guard let endpoint = s.string(key) else { return nil }
            if !names.webhooks.contains(endpoint) {
                s.problem(key, "no webhook '\(endpoint)' is configured under 'webhooks:'")
            }
            return .webhook(endpoint)
        default:
            return nil
        }
    }

    static func readWebhooks(_ sections: [ConfigSection]) -> [WebhookEndpoint] {
        var seen = Set<String>()
        return sections.compactMap { s in
            defer { s.finish() }
            guard let id = s.requiredString("id") else { return nil }
            if id.range(of: idPattern, options: .regularExpression) == nil {
                s.problem("id", "'\(id)' must be letters, digits, '.', '_' or '-' (it appears in URLs)")
            }
            if !seen.insert(id).inserted { s.problem("id", "webhook id '\(id)' is used twice") }
            let url = s.requiredString("url") ?? ""
            if !url.isEmpty, URLComponents(string: url).map({ ["http", "https"].contains($0.scheme ?? "") && $0.host?.isEmpty == false }) != true {
                s.problem("url", "'\(url)' is not an http:// or https:// URL")
            }
            let secret = s.secret("secret_env", required: true)
            if let secret, secret.count < 16 {
                s.problem(
                    "secret_env", "the signing secret has \(secret.count) characters; use at least 16 random ones (e.g. `openssl rand -hex 32`)")
            }
            var events = Set<String>()
            for name in s.stringList("events") {
                if name == "*" || AutomationRouting.webhookEvents.contains(name) {
                    events.insert(name)
                } else {
                    s.problem("events", "unknown event '\(name)' (events: \(AutomationRouting.webhookEvents.joined(separator: ", ")), or * for all)")
                }
            }
            var endpoint = WebhookEndpoint(id: id, url: url, secret: secret ?? "", events: events)
            endpoint.timeout = s.duration("timeout", default: endpoint.timeout)!
            endpoint.maxAttempts = s.int("max_attempts", default: endpoint.maxAttempts, range: 1...1000)!
            endpoint.firstRetry = s.duration("first_retry", default: endpoint.firstRetry)!
            endpoint.maxBackoff = s.duration("max_backoff", default: endpoint.maxBackoff)!
            endpoint.giveUpAfter = s.duration("give_up_after", default: endpoint.giveUpAfter)!
            endpoint.concurrency = s.int("concurrency", default: endpoint.concurrency, range: 1...256)!
            if let breaker = s.section("breaker") {
                endpoint.breakerFailures = breaker.int("failures", default: endpoint.breakerFailures, range: 1...1000)!
                endpoint.breakerCooldown = breaker.duration("cooldown", default: endpoint.breakerCooldown)!
                breaker.finish()
            }
            return endpoint
        }
    }
}
