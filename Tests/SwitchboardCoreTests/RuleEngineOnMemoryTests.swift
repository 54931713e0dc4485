import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Rules on the memory engine: from a stored message through the queue to the thread, never
/// looping, scheduled ones acting once, dry runs explaining themselves.
@Suite struct RuleEngineOnMemoryTests {
    static let vip = try! Rule(
        id: "vip-fast-lane", trigger: .event(.conversationCreated),
        condition: .all([.adapter(["wa"]), .textMatches(LinearRegex("(?i)\\b(factura|invoice)\\b"))]),
        actions: [
            .priority(.urgent), .tag(["billing", "vip"]), .assignTeam("billing", keepOwner: false), .note("VIP billing request"),
            .reply(.text("Hi {customer}, {agent} has your invoice question ({reference}).")), .webhook("crm"),
        ])

    static func receive(
        _ rules: RulesOnMemory, _ id: String, from address: String, via adapter: String = "wa", text: String
    ) async throws -> StoredInbound {
        let channel = adapter == "wa" ? "whatsapp" : adapter
        let message = InboundMessage(externalID: id, from: ChannelIdentity(channel: channel, address: address), customerName: "Ann Lee", text: text)
        let outcomes = try await rules.store.ingest(
            [IngestItem(adapter: adapter, event: .message(message), receivedAt: rules.clock.now)], policy: rules.core.policy)
        guard case .stored(let stored)? = outcomes.first else { throw UnexpectedOutcome("not stored: \(outcomes)") }
        return stored
    }

    @Test func theExampleRuleActsOnAMatchingMessageAndSaysWhyInTheThread() async throws {
        let rules = try await RulesOnMemory(rules: [Self.vip], webhooks: [.init(endpoint: "crm", events: [])])
        try await rules.running {
            let match = try await Self.receive(rules, "m1", from: "+34600000001", text: "Hola, ¿dónde está mi factura?")
            let other = try await Self.receive(rules, "m2", from: "+34600000002", text: "Where is my parcel?")
            let elsewhere = try await Self.receive(rules, "m3", from: "ann@x", via: "chat", text: "my invoice please")
            try await rules.drain()

            let detail = try await rules.core.conversation(match.conversation.id)
            #expect(detail.priority == .urgent)
            #expect(detail.tags == ["billing", "vip"])
            #expect(detail.team == "billing")
            #expect(detail.assignee == "bill")
            #expect(detail.owner == "bill")
            let lines = try await rules.ruleLines(match.conversation.id)
            #expect(lines.contains { $0.hasPrefix("Rule 'vip-fast-lane' set the priority to urgent (was normal)") })
            #expect(lines.contains("Rule 'vip-fast-lane': tagged billing, vip"))
            #expect(lines.contains("Rule 'vip-fast-lane': assigned to bill, the least-loaded available agent of team billing, who becomes the owner"))
            #expect(lines.contains("VIP billing request"))
            #expect(lines.contains("Rule 'vip-fast-lane': replied to the customer through wa"))
            #expect(lines.contains("Rule 'vip-fast-lane': called the integration crm"))
            let reply = try #require(detail.messages.first { $0.direction == .outbound })
            #expect(reply.body == "Hi Ann, Bill Ortega has your invoice question (\(Staff.references.format(match.conversation.id))).")
            #expect(reply.metadata?["rule"] == "vip-fast-lane")
            let posted = try await rules.store.queuedEvents(consumer: "webhook:crm", state: .queued, before: nil, limit: 10)
            #expect(posted.map(\.type) == ["rule.fired"])
            let fired = try JSONCoding.decode(RuleFiredPayload.self, from: Array(posted[0].payload.utf8))
            #expect(fired.rule == "vip-fast-lane")
            #expect(fired.actions.allSatisfy { $0.done })

            for untouched in [other, elsewhere] {
                let detail = try await rules.core.conversation(untouched.conversation.id)
                #expect(detail.priority == .normal)
                #expect(detail.tags.isEmpty)
                #expect(try await rules.ruleLines(untouched.conversation.id).isEmpty)
            }
        }
    }

    @Test func aDryRunExplainsANonMatchAndWhatWouldHappen() async throws {
        let rules = try await RulesOnMemory(rules: [Self.vip], webhooks: [.init(endpoint: "crm", events: [])])
        let other = try await Self.receive(rules, "m2", from: "+34600000002", via: "chat", text: "Where is my parcel?")
        let report = try await rules.engine.test(rule: "vip-fast-lane", message: other.message.id, by: Viewer(Staff.marta))
        #expect(!report.matched)
        #expect(report.summary == "The conditions do not hold: adapter: wa (the message came through chat).")
        #expect(report.conditions.conditions?.map(\.held) == [false, false])
        #expect(report.actions.allSatisfy { !$0.done && $0.detail == "not run: the conditions do not hold" })

        let match = try await Self.receive(rules, "m1", from: "+34600000001", text: "my INVOICE")
        let yes = try await rules.engine.test(rule: "vip-fast-lane", message: match.message.id, by: Viewer(Staff.marta))
        #expect(yes.matched)
        #expect(yes.actions.map(\.action) == ["priority", "tag", "assign_team", "note", "reply", "webhook"])
        #expect(yes.actions.allSatisfy { $0.done })
        // Nothing changed.
        #expect(try await rules.core.conversation(match.conversation.id).priority == .normal)
        #expect(await refused { try await rules.engine.test(rule: "vip-fast-lane", message: match.message.id, by: Viewer(Staff.ana)) }?.status == 403)
        #expect(await refused { try await rules.engine.test(rule: "nope", message: match.message.id, by: Viewer(Staff.marta)) }?.status == 404)
    }

    @Test func aRulesOwnActionsNeverTriggerItAgainAndPingPongStopsAtTheLimit() async throws {
        let grab = Rule(id: "grab", trigger: .event(.conversationAssigned), actions: [.assignAgent("luis", keepOwner: true)])
        let one = try await RulesOnMemory(rules: [grab])
        try await one.running {
            let stored = try await Self.receive(one, "m1", from: "+34600000001", via: "chat", text: "hi")
            try await one.drain()
            #expect(try await one.core.conversation(stored.conversation.id).assignee == "luis")
            #expect(try await one.ruleLines(stored.conversation.id).count == 1)
        }

        let bounce = Rule(id: "bounce", trigger: .event(.conversationAssigned), actions: [.assignAgent("bea", keepOwner: true)])
        let two = try await RulesOnMemory(rules: [grab, bounce])
        try await two.running {
            let stored = try await Self.receive(two, "m1", from: "+34600000001", via: "chat", text: "hi")
            try await two.drain(rounds: 200)
            let lines = try await two.ruleLines(stored.conversation.id)
            #expect(lines.count == RuleLimits.firingsPerConversationPerHour)
        }
    }

    @Test func spamIsResolvedQuietlyAndItsAcknowledgementWithheld() async throws {
        let spam = Rule(id: "no-casino", trigger: .event(.conversationCreated), condition: .textContains(["casino"]), actions: [.spam])
        let rules = try await RulesOnMemory(rules: [spam], acknowledgements: true)
        try await rules.running {
            let junk = try await Self.receive(rules, "m1", from: "+34600000001", via: "chat", text: "Best CASINO bonus")
            let fine = try await Self.receive(rules, "m2", from: "+34600000002", via: "chat", text: "hello")
            #expect(junk.acknowledged && fine.acknowledged)
            // Acknowledgements wait for the rules.
            #expect(
                try await rules.store.claimDeliveries(
                    now: rules.clock.now, limit: 10, claimer: "t", leaseUntil: rules.clock.now.addingTimeInterval(60)
                ).isEmpty)
            try await rules.drain()
            let sent = try await rules.store.claimDeliveries(
                now: rules.clock.now, limit: 10, claimer: "t", leaseUntil: rules.clock.now.addingTimeInterval(60))
            #expect(sent.map(\.conversationID) == [fine.conversation.id])
            let detail = try await rules.core.conversation(junk.conversation.id)
            #expect(detail.status == .resolved)
            #expect(detail.tags == ["spam"])
            #expect(detail.messages.first { $0.metadata?["purpose"] == "acknowledgement" }?.delivery?.state == .failed)
            let inbox = try await rules.core.desk.conversations(for: Viewer(Staff.marta), status: .open, limit: 100)
            #expect(inbox.map(\.id) == [fine.conversation.id])
        }
    }

    @Test func anAcknowledgementWaitsForTheRulesOfTheMessageNotOnlyForTheFirstEventsRules() async throws {
        // The spam rule runs on message.created, which comes after conversation.created: the rule on
        // the earlier event must not let the acknowledgement go before it.
        let hello = Rule(id: "hello", trigger: .event(.conversationCreated), actions: [.tag(["new"])])
        let spam = Rule(id: "no-casino", trigger: .event(.messageCreated), condition: .textContains(["casino"]), actions: [.spam])
        let rules = try await RulesOnMemory(rules: [hello, spam], acknowledgements: true)
        try await rules.running {
            let junk = try await Self.receive(rules, "m1", from: "+34600000001", via: "chat", text: "Best CASINO bonus")
            #expect(junk.acknowledged)
            // One event per conversation at a time: this batch is conversation.created only.
            #expect(try await rules.runner.drainOnce() == 1)
            let early = try await rules.store.claimDeliveries(
                now: rules.clock.now, limit: 10, claimer: "t", leaseUntil: rules.clock.now.addingTimeInterval(60))
            #expect(early.isEmpty, "the acknowledgement still waits for the message's own rules")
            try await rules.drain()
            let detail = try await rules.core.conversation(junk.conversation.id)
            #expect(detail.tags == ["new", "spam"])
            #expect(detail.messages.first { $0.metadata?["purpose"] == "acknowledgement" }?.delivery?.state == .failed)
        }
    }

    @Test func aScheduledRuleEscalatesConversationsWaitingOnTheCustomerOnce() async throws {
        let nudge = Rule(
            id: "stale-pending", trigger: .schedule(every: .seconds(60)),
            condition: .all([.status([.pending]), .waitedLongerThan(.seconds(3600))]),
            actions: [.escalate(reason: "waiting on the customer"), .note("Chase them")])
        let rules = try await RulesOnMemory(rules: [nudge])
        let clock = rules.clock
        let scheduled = ScheduledRules(engine: rules.engine, store: rules.store, batch: 1, now: { clock.now }, logger: .init(label: "test"))
        let waiting = try await Self.receive(rules, "m1", from: "+34600000001", via: "chat", text: "hi")
        let answered = try await Self.receive(rules, "m2", from: "+34600000002", via: "chat", text: "hi")
        _ = try await rules.core.desk.setPending(waiting.conversation.id, true, by: Viewer(Staff.marta))
        try await scheduled.tick()
        #expect(try await rules.ruleLines(waiting.conversation.id).isEmpty, "not waiting long enough yet")

        clock.advance(2 * 3600)
        try await scheduled.tick()
        let detail = try await rules.core.conversation(waiting.conversation.id)
        #expect(detail.escalated)
        #expect(detail.assignee == "marta")
        #expect(
            try await rules.ruleLines(waiting.conversation.id) == [
                "Rule 'stale-pending': escalated to marta: waiting on the customer", "Chase them", "Rule 'stale-pending': added a note",
            ])
        #expect(try await rules.ruleLines(answered.conversation.id).isEmpty)

        // Later periods: the same quiet spell is not acted on again (the note would repeat otherwise).
        _ = try await rules.core.desk.closeEscalation(waiting.conversation.id, note: nil, handBack: true, by: Viewer(Staff.marta))
        clock.advance(120)
        try await scheduled.tick()
        clock.advance(120)
        try await scheduled.tick()
        #expect(try await rules.ruleLines(waiting.conversation.id).count == 3)
    }

    @Test func aReplyOutsideTheChannelsWindowIsNotSentAndSaysWhy() async throws {
        let auto = Rule(id: "auto", trigger: .event(.messageCreated), actions: [.reply(.text("Thanks!")), .tag(["auto"])])
        let canned = Rule(id: "canned", trigger: .event(.messageCreated), actions: [.reply(.canned("billing-ack"))])
        let rules = try await RulesOnMemory(
            rules: [auto, canned], adapters: [RecordingAdapter("chat", capabilities: AdapterCapabilities(replyWindow: .seconds(60)))])
        let stored = try await Self.receive(rules, "m1", from: "a@x", via: "chat", text: "hi")
        var report = try await rules.engine.test(rule: "auto", message: stored.message.id, by: Viewer(Staff.marta))
        #expect(report.actions.map(\.done) == [true, true])
        rules.clock.advance(3600)
        report = try await rules.engine.test(rule: "auto", message: stored.message.id, by: Viewer(Staff.marta))
        #expect(report.matched)
        #expect(report.actions.map(\.done) == [false, true])
        #expect(report.actions[0].detail.hasPrefix("not sent: adapter 'chat' allows free-form replies only within"))
        #expect(report.summary == "The conditions hold: 1 of 2 actions would change the conversation; the others would not (see why).")
        let unknown = try await rules.engine.test(rule: "canned", message: stored.message.id, by: Viewer(Staff.marta))
        #expect(unknown.actions[0].detail == "not sent: no saved reply 'billing-ack' is available to the conversation's team or everyone")
    }

    @Test func aCannedReplyIsTheTeamsOrEveryonesSavedReplyFilledInAndNeverWithGaps() async throws {
        let ack = Rule(id: "ack", trigger: .event(.messageCreated), actions: [.reply(.canned("billing-ack"))])
        let gap = Rule(id: "gap", trigger: .event(.messageCreated), actions: [.reply(.canned("needs-data"))])
        let rules = try await RulesOnMemory(rules: [ack, gap], savedReplies: true)
        func save(_ shortcut: String, _ scope: CannedResponseScope, _ body: String) async throws {
            _ = try await rules.store.saveCannedResponse(id: nil, shortcut: shortcut, scope: scope, owner: nil) { _, _ in
                CannedResponse(id: 0, shortcut: shortcut, title: shortcut, body: body, scope: scope, language: "es", owner: nil, updatedAt: Plans.now)
            }
        }
        try await save("billing-ack", .everyone, "Hola {customer.first_name}, tu referencia es {reference}.")
        try await save("billing-ack", .team("billing"), "(the billing team's)")
        try await save("needs-data", .everyone, "Tu pedido {context.shop.last_order.id}")
        try await rules.running {
            let stored = try await Self.receive(rules, "m1", from: "+34600000001", via: "chat", text: "hola")
            // The conversation is support's: everyone's saved reply, filled in.
            try await rules.drain()
            let detail = try await rules.core.conversation(stored.conversation.id)
            let sent = detail.messages.filter { $0.direction == .outbound && $0.metadata?["rule"] == "ack" }.map(\.body)
            #expect(sent == ["Hola Ann, tu referencia es \(Staff.references.format(stored.conversation.id))."])
            // A placeholder it cannot fill: not sent, and the thread says nothing was done.
            #expect(!detail.messages.contains { $0.metadata?["rule"] == "gap" })
            let report = try await rules.engine.test(rule: "gap", message: stored.message.id, by: Viewer(Staff.marta))
            #expect(report.actions[0].detail == "not sent: the saved reply 'needs-data' would leave context.shop.last_order.id unfilled")
        }
    }
}
