import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore

/// Builds the acknowledgement policy from `routing.acknowledge` and the adapters' own
/// `acknowledge:` / `acknowledgement:` keys, asking each channel whether it may send one.
enum Acknowledgements {
    static func policy(routing: RoutingSettings, registry: AdapterRegistry, directory: AgentDirectory) -> AcknowledgementPolicy {
        let enabled = routing.acknowledge || registry.all.contains { $0.acknowledge == true }
        return AcknowledgementPolicy(
            enabled: enabled, quietPeriod: routing.acknowledgeQuiet,
            template: { adapter, reply in
                guard let entry = registry[adapter], entry.acknowledge ?? routing.acknowledge else { return nil }
                // A channel that would refuse an agent's reply here refuses the acknowledgement too.
                guard entry.adapter.capabilities.replyRefusal == nil, entry.adapter.refusal(for: reply) == nil else { return nil }
                return entry.acknowledgement ?? AcknowledgementPolicy.defaultTemplate
            },
            agent: { id in directory[id].map { ($0.name, $0.schedule.timeZone) } }, limits: routing.acknowledgeLimits)
    }
}
