import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Which consumers of the automation queue an event goes to.
@Suite struct AutomationRoutingTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    static func message(_ direction: MessageDirection) -> DomainEvent {
        .messageCreated(
            MessageRecord(
                id: 7, conversationID: 3, direction: direction, adapter: "chat", channel: "chat", body: "hi", createdAt: at))
    }

    @Test func aStarTakesEveryWebhookEventButNeverPresenceOrRefreshes() {
        let routing = AutomationRouting(subscriptions: [.init(endpoint: "crm", events: ["*"])], rules: [])
        #expect(routing.queued(Self.message(.inbound), conversation: 3, cause: nil, at: Self.at).map(\.consumer) == ["webhook:crm"])
        let presence = DomainEvent.presenceUpdated(
            PresencePayload(conversation: 3, agent: "ana", name: "Ana", state: .typing, since: Self.at, expiresAt: nil))
        #expect(routing.queued(presence, conversation: 3, cause: nil, at: Self.at).isEmpty)
        #expect(routing.queued(.conversationRefresh(conversation: 3, type: "x"), conversation: 3, cause: nil, at: Self.at).isEmpty)
    }

    @Test func theRulesHearOnlyOfTheEventsTheyRunOnAndOnlyOfCustomersMessages() {
        let rule = Rule(id: "r", trigger: .event(.messageCreated), actions: [.tag(["x"])])
        let routing = AutomationRouting(subscriptions: [.init(endpoint: "crm", events: ["sla.breached"])], rules: [rule])
        let inbound = routing.queued(Self.message(.inbound), conversation: 3, cause: "other", at: Self.at)
        #expect(inbound.map(\.consumer) == ["rules"])
        #expect(inbound.first?.cause == "other", "the rule that caused it travels along, so it never triggers itself")
        #expect(routing.queued(Self.message(.outbound), conversation: 3, cause: nil, at: Self.at).isEmpty)
        #expect(routing.queued(Self.message(.note), conversation: 3, cause: nil, at: Self.at).isEmpty)
    }

    @Test func onlyTheAcknowledgementsOfRequestsTheRulesLookAtWait() {
        func starts(_ events: [RuleEvent]) -> Set<RequestStart> {
            AutomationRouting(subscriptions: [], rules: events.map { Rule(id: $0.rawValue, trigger: .event($0), actions: [.tag(["x"])]) })
                .requestsRulesSee
        }
        #expect(starts([.conversationCreated]) == [.created])
        #expect(starts([.conversationReopened]) == [.reopened])
        #expect(starts([.statusChanged]) == [.reopened])
        #expect(starts([.messageCreated]) == [.created, .reopened])
        #expect(starts([.slaBreached, .conversationAssigned]).isEmpty)
    }

    @Test func nothingConfiguredQueuesNothing() {
        let routing = AutomationRouting(subscriptions: [], rules: [])
        #expect(routing.isEmpty)
        #expect(routing.queued(Self.message(.inbound), conversation: 3, cause: nil, at: Self.at).isEmpty)
    }
}
