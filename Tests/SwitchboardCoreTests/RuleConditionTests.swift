import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Rules' conditions, each with what it saw: the answer to "why did (not) this rule act?".
@Suite struct RuleConditionTests {
    static func facts(
        text: String = "Necesito la factura", adapter: String = "wa", channel: String = "whatsapp", metadata: [String: String]? = nil,
        status: ConversationStatus = .open, priority: Priority = .normal, tags: [String] = [], contacts: Int = 1,
        awaitingSince: Date? = Plans.now, lastMessageAt: Date = Plans.now, assignee: String? = "ana", escalated: Bool = false
    ) -> ConversationFacts {
        let state = ConversationState(
            id: 7, customerID: 3, status: status, owner: "ana", assignee: assignee, team: "support", escalated: escalated, createdAt: Plans.now,
            lastMessageAt: lastMessageAt, awaitingSince: awaitingSince, priority: priority)
        let message = MessageRecord(
            id: 70, conversationID: 7, direction: .inbound, adapter: adapter, channel: channel, body: text, createdAt: Plans.now, metadata: metadata)
        return ConversationFacts(
            state: state, tags: tags, customerName: "Ann Lee", contacts: contacts,
            identities: [IdentityRecord(channel: channel, adapter: adapter, address: "+34600000001")], message: message)
    }

    static func evaluate(
        _ condition: RuleCondition, _ facts: ConversationFacts = facts(), context: [String: JSONValue]? = nil,
        at: Date = Plans.now, hours: BusinessHours = .always, loads: [String: AgentLoad] = Plans.loads()
    ) -> ConditionResult {
        condition.evaluate(RuleInput(facts: facts, context: context, loads: loads, hours: hours, now: at))
    }

    @Test func theIssuesExampleHoldsOnlyWhenEveryConditionDoes() throws {
        let rule = RuleCondition.all([
            .adapter(["wa", "support-mail"]), .textMatches(try LinearRegex("(?i)\\b(factura|invoice)\\b")),
            .context(ContextMatch(provider: "shop", path: ["tier"], values: ["gold"])), .businessHours(inside: false),
        ])
        let gold: [String: JSONValue] = ["shop": .object(["tier": .string("gold")])]
        let closed = BusinessHours(schedule: Schedule(shifts: [try Schedule.parseShift("mon-fri 09:00-17:00").get()]))
        // 2027-01-15 08:00 UTC, a Friday before opening.
        let held = Self.evaluate(rule, context: gold, hours: closed)
        #expect(held.held)
        #expect(held.detail == "every condition holds")
        #expect(
            held.conditions?.map(\.detail) == [
                "the message came through wa", "the text matches", "shop.tier is gold", "it is outside business hours",
            ])

        let other = Self.evaluate(rule, Self.facts(text: "where is my order?", adapter: "shop-chat"), context: gold, hours: closed)
        #expect(!other.held)
        #expect(other.detail == "2 of 4 do not hold")
        #expect(other.conditions?.filter { !$0.held }.map(\.detail) == ["the message came through shop-chat", "the text does not match"])

        let unknown = Self.evaluate(rule, hours: closed)
        #expect(unknown.conditions?[2].detail == "no context data was fetched")
        let silver = Self.evaluate(rule, context: ["shop": .object(["tier": .string("silver")])], hours: closed)
        #expect(silver.conditions?[2].detail == "shop.tier is silver")
        #expect(
            Self.evaluate(rule, context: ["crm": .object([:])], hours: closed).conditions?[2].detail
                == "context provider 'shop' has no data for this customer")
    }

    @Test func anyAndNotNest() {
        let condition = RuleCondition.all([
            .any([.tags(["vip"]), .priority([.urgent])]),
            .not(.textContains(["unsubscribe"])),
        ])
        #expect(Self.evaluate(condition, Self.facts(tags: ["vip"])).held)
        #expect(Self.evaluate(condition, Self.facts(priority: .urgent)).held)
        #expect(!Self.evaluate(condition, Self.facts()).held)
        let unsubscribe = Self.evaluate(condition, Self.facts(text: "please UNSUBSCRIBE me", tags: ["vip"]))
        #expect(!unsubscribe.held)
        #expect(unsubscribe.conditions?[1].detail == "the condition inside holds")
        #expect(unsubscribe.conditions?[1].conditions?[0].detail == "the text contains unsubscribe")
    }

    @Test func waitingIsMeasuredFromTheSideThatIsWaitedOn() {
        let twoHours = RuleCondition.waitedLongerThan(.seconds(7200))
        let later = Plans.now.addingTimeInterval(3 * 3600)
        let open = Self.evaluate(twoHours, Self.facts(), at: later)
        #expect(open.held)
        #expect(open.detail == "the customer has waited for an answer for 3h")
        let pending = Self.evaluate(twoHours, Self.facts(status: .pending, awaitingSince: nil, lastMessageAt: Plans.now), at: later)
        #expect(pending.held)
        #expect(pending.detail == "we have waited on the customer for 3h")
        let answered = Self.evaluate(twoHours, Self.facts(awaitingSince: nil), at: later)
        #expect(!answered.held)
        #expect(!Self.evaluate(twoHours, Self.facts(), at: Plans.now.addingTimeInterval(3600)).held)
    }

    @Test func theCustomerTheMessageAndTheAgentAreLookedAt() {
        #expect(Self.evaluate(.firstContact(true)).held)
        #expect(!Self.evaluate(.firstContact(true), Self.facts(contacts: 4)).held)
        #expect(Self.evaluate(.firstContact(false), Self.facts(contacts: 4)).detail == "the customer got in touch 4 times")
        #expect(Self.evaluate(.language(["es"]), Self.facts(metadata: ["language": "es-ES"])).held)
        #expect(!Self.evaluate(.language(["es"]), Self.facts(metadata: ["language": "en"])).held)
        #expect(Self.evaluate(.language(["es"])).detail == "the channel did not say the message's language")
        #expect(Self.evaluate(.subjectContains(["refund"]), Self.facts(metadata: ["subject": "Refund please"])).held)
        #expect(Self.evaluate(.subjectContains(["refund"])).detail == "there is no subject")
        #expect(Self.evaluate(.channel(["whatsapp"])).held)
        #expect(Self.evaluate(.agentStatus(["away"]), loads: Plans.loads(away: ["ana"])).held)
        #expect(Self.evaluate(.agentStatus(["unassigned"]), Self.facts(assignee: nil)).held)
        #expect(Self.evaluate(.status([.open])).held)
        #expect(Self.evaluate(.escalated(false)).held)
        #expect(!Self.evaluate(.escalated(false), Self.facts(escalated: true)).held)
        #expect(Self.evaluate(.all([])).detail == "no conditions")
    }
}
