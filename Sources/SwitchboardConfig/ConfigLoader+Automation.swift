import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// `sla:`, `rules:` and `webhooks:`: what happens to conversations without code, each problem with its line.
extension ConfigLoader {
    static func readAutomation(_ root: ConfigSection, into config: inout GatewayConfig) {
        let names = AutomationNames(
            adapters: Set(config.adapters.map(\.id)), providers: Set(config.contextProviderSpecs.map(\.id)),
            agents: Dictionary(config.agents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
            teams: Set(config.agents.flatMap(\.teams)))
        config.slaPolicies = readSLA(root.sections("sla"), names: names)
        config.webhooks = readWebhooks(root.sections("webhooks"))
        var withWebhooks = names
        withWebhooks.webhooks = Set(config.webhooks.map(\.id))
        config.rules = readRules(root.sections("rules"), names: withWebhooks)
    }

    /// What the automation sections may name: configured adapters, context providers, agents, teams.
    struct AutomationNames {
        var adapters: Set<String>
        var providers: Set<String>
        var agents: [String: Agent]
        var teams: Set<String>
        var webhooks: Set<String> = []
    }

    static let idPattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$"

    private static func readSLA(_ sections: [ConfigSection], names: AutomationNames) -> [SLAPolicy] {
        var seen = Set<String>()
        return sections.compactMap { s in
            defer { s.finish() }
            guard let id = s.requiredString("id") else { return nil }
            if id.range(of: idPattern, options: .regularExpression) == nil || id == SLAPolicies.defaultID {
                s.problem("id", "'\(id)' must be letters, digits, '.', '_' or '-', and not '\(SLAPolicies.defaultID)' (the default clocks' name)")
            }
            if !seen.insert(id).inserted { s.problem("id", "SLA policy id '\(id)' is used twice") }
            var policy = SLAPolicy(id: id)
            if let when = s.section("when") {
                defer { when.finish() }
                if when.has("priority") { policy.when.priorities = Set(priorities(when, "priority")) }
                if when.has("adapter") { policy.when.adapters = Set(adapterIDs(when, "adapter", names: names)) }
                if when.has("channel") { policy.when.channels = Set(when.stringList("channel")) }
                if let context = when.section("context") { policy.when.context = contextMatches(context, names: names) }
            }
            policy.firstResponse = s.duration("first_response")
            policy.nextResponse = s.duration("next_response")
            policy.resolution = s.duration("resolution")
            if let hours = s.section("business_hours") { policy.businessHours = readBusinessHours(hours) }
            if policy.firstResponse == nil, policy.nextResponse == nil, policy.resolution == nil, policy.businessHours == nil {
                s.problem(nil, "SLA policy '\(id)' sets no clock: give first_response, next_response, resolution or business_hours")
            }
            return policy
        }
    }

    /// A list of priorities (`[high, urgent]`), each one checked.
    static func priorities(_ s: ConfigSection, _ key: String) -> [Priority] {
        s.stringList(key).compactMap { text in
            guard let priority = Priority(rawValue: text) else {
                s.problem(key, "'\(text)' is not a priority (\(Priority.names))")
                return nil
            }
            return priority
        }
    }

    /// A list of configured adapter ids.
    static func adapterIDs(_ s: ConfigSection, _ key: String, names: AutomationNames) -> [String] {
        let ids = s.stringList(key)
        for id in ids where !names.adapters.contains(id) {
            s.problem(key, "no adapter '\(id)' is configured (adapters: \(names.adapters.sorted().joined(separator: ", ")))")
        }
        return ids
    }

    /// `{ shop.tier: gold, shop.country: [es, pt] }`: each key a configured provider and a path.
    static func contextMatches(_ s: ConfigSection, names: AutomationNames) -> [ContextMatch] {
        defer { s.finish() }
        return s.keys.compactMap { key in
            let values = s.stringList(key)
            guard let match = ContextMatch(key: key, values: values) else {
                s.problem(key, "'\(key)' must name a context provider and a field, e.g. shop.tier")
                return nil
            }
            if !names.providers.contains(match.provider) {
                s.problem(key, "no context provider '\(match.provider)' is configured")
            }
            if values.isEmpty { s.problem(key, "give the value (or a list of values) '\(key)' must have") }
            return match
        }
    }
}
