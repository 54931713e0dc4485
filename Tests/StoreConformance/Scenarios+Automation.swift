import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Priorities and SLA policies, the automation queue (rules and webhooks), rules' firings.
extension StoreConformance {
    static let automationScenarios: [StoreScenario] = [
        StoreScenario("a conversation keeps its priority and SLA policy, in lists, views and plans", on: priorityAndPolicyAreStored),
        StoreScenario("conversation facts name the message asked for, else the customer's latest", on: conversationFacts),
        StoreScenario("ingestion queues its events for rules and webhooks in its own transaction", on: ingestionQueuesItsEvents),
        StoreScenario("the automation queue hands out each conversation's events one at a time, in order", on: queueKeepsOrderPerConversation),
        StoreScenario("failed events are dead letters: listed, replayed, expired; delivered ones pruned", on: deadLettersAndReplay),
        StoreScenario("a batch of outcomes is recorded at once, each as its own", on: outcomesInOneBatch),
        StoreScenario("a rule fires once per key, once per quiet spell, and its firings are counted", on: ruleFiresOnce),
        StoreScenario("a rule's plan adds tags, queues events and withholds or releases acknowledgements", on: rulePlanExtras),
    ]

    static let automationBase = Date(timeIntervalSince1970: 1_800_000_000)

    /// A policy with an `urgent` SLA policy (30 min) before the default clocks (1 h).
    static var slaPolicy: IngestPolicy {
        var policy = TestAgents.policy
        policy.slaPolicies = [SLAPolicy(id: "urgent", when: .init(priorities: [.urgent]), firstResponse: .seconds(1800))]
        return policy
    }

    static func urgent(_ id: String, from: String, at: Date) -> IngestItem {
        IngestItem(
            adapter: "chat",
            event: .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: from), text: "help", priority: .urgent)),
            receivedAt: at)
    }

    @Sendable static func priorityAndPolicyAreStored(_ store: any Store) async throws {
        let base = automationBase
        let first = try await store.ingest([urgent("u1", from: "a@x", at: base)], policy: slaPolicy)[0]
        let id = try #require(first.conversationID)
        var detail = try #require(try await store.conversation(id))
        #expect(detail.priority == .urgent)
        #expect(detail.slaPolicy == "urgent")
        #expect(detail.slaReason?.contains("priority is urgent") == true)
        #expect(detail.firstResponseDue == base.addingTimeInterval(1800))
        let summaries = try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta)))
        #expect(summaries.first { $0.id == id }?.priority == .urgent)

        // An agent lowers it: the default policy's clock (1 h from the message) applies.
        let facts = try #require(try await store.conversationFacts(conversation: id, message: nil))
        let sla = slaPolicy.sla
        let applied = try await store.change(conversation: id, routing: false) { state, _ in
            SLAPlanner.setPriority(state, to: .normal, by: "ana", facts: facts.slaFacts(context: [:]), sla: sla, at: base.addingTimeInterval(60))
        }
        #expect(applied?.state.slaPolicy == SLAPolicies.defaultID)
        detail = try #require(try await store.conversation(id))
        #expect(detail.priority == .normal)
        #expect(detail.slaPolicy == SLAPolicies.defaultID)
        #expect(detail.firstResponseDue == base.addingTimeInterval(3600))
        #expect(detail.messages.last?.body.contains("set the priority to normal") == true)

        // A later normal message cannot lower it again, nor raise it; a new plain customer starts normal.
        let second = try await store.ingest([inbound("n1", from: "b@x", at: base)], policy: slaPolicy)[0]
        let secondID = try #require(second.conversationID)
        let other = try #require(try await store.conversation(secondID))
        #expect(other.priority == .normal)
        #expect(other.slaPolicy == SLAPolicies.defaultID)
    }

    @Sendable static func conversationFacts(_ store: any Store) async throws {
        let base = automationBase
        let first = try await store.ingest([inbound("1", from: "a@x", text: "first", at: base)], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        _ = try await store.ingest([inbound("2", from: "a@x", text: "second", at: base.addingTimeInterval(5))], policy: TestAgents.policy)
        _ = try await store.appendInternal(conversation: id, direction: .note, author: "ana", body: "a note", at: base.addingTimeInterval(6))
        _ = try await store.addTags(conversation: id, tags: ["vip"], by: "ana", at: base)
        let latest = try #require(try await store.conversationFacts(conversation: id, message: nil))
        #expect(latest.message?.body == "second")
        #expect(latest.tags == ["vip"])
        #expect(latest.contacts == 2)
        #expect(latest.identities.map(\.address) == ["a@x"])
        let asked = try #require(try await store.conversationFacts(conversation: id, message: first.messageID))
        #expect(asked.message?.body == "first")
        #expect(try await store.conversationFacts(conversation: 999_999, message: nil) == nil)
    }

    @Sendable static func ingestionQueuesItsEvents(_ store: any Store) async throws {
        let base = automationBase
        let routing = AutomationRouting(
            subscriptions: [.init(endpoint: "crm", events: ["message.created", "conversation.created"])],
            rules: [Rule(id: "r", trigger: .event(.messageCreated), actions: [.tag(["x"])])])
        var policy = TestAgents.policy
        policy.journal = { routing.queued($0, at: base) }
        let first = try await store.ingest([inbound("1", from: "a@x", at: base)], policy: policy)[0]
        let id = try #require(first.conversationID)
        let crm = try await store.queuedEvents(consumer: "webhook:crm", state: nil, before: nil, limit: 10)
        // Newest first: the message, then the conversation it created.
        #expect(crm.map(\.type) == ["message.created", "conversation.created"])
        #expect(crm.allSatisfy { $0.conversationID == id && $0.state == .queued })
        let rules = try await store.queuedEvents(consumer: AutomationConsumer.rules, state: .queued, before: nil, limit: 10)
        #expect(rules.map(\.type) == ["message.created"])
        let payload = try JSONCoding.decode(MessageRecord.self, from: Array(rules[0].payload.utf8))
        #expect(payload.id == first.messageID)
        // A duplicate queues nothing more.
        _ = try await store.ingest([inbound("1", from: "a@x", at: base)], policy: policy)
        #expect(try await store.queuedEvents(consumer: "webhook:crm", state: nil, before: nil, limit: 10).count == 2)
    }

    static func event(_ conversation: Int64, _ n: Int, consumer: String = "webhook:crm", at: Date) -> QueuedEvent {
        QueuedEvent(consumer: consumer, conversationID: conversation, type: "message.created", payload: "{\"n\":\(n)}", cause: nil, createdAt: at)
    }

    @Sendable static func queueKeepsOrderPerConversation(_ store: any Store) async throws {
        let t = automationBase
        try await store.enqueue([
            event(1, 1, at: t), event(1, 2, at: t), event(2, 3, at: t), event(1, 4, at: t), event(3, 5, consumer: "rules", at: t),
        ])
        // One head per conversation, oldest first; other consumers' events are not handed out.
        var claimed = try await store.claimQueued(consumer: "webhook:crm", now: t, limit: 10, claimer: "g1", leaseUntil: t.addingTimeInterval(30))
        #expect(claimed.map(\.payload) == ["{\"n\":1}", "{\"n\":3}"])
        // Leased heads block their conversations, for every claimer.
        #expect(try await store.claimQueued(consumer: "webhook:crm", now: t, limit: 10, claimer: "g2", leaseUntil: t.addingTimeInterval(30)).isEmpty)
        // A retry keeps the head in place: the conversation waits for it.
        try await store.completeQueued(id: claimed[0].id, result: .retry(error: "HTTP 503", at: t.addingTimeInterval(10)), at: t)
        try await store.completeQueued(id: claimed[1].id, result: .done(keep: true), at: t)
        #expect(
            try await store.claimQueued(
                consumer: "webhook:crm", now: t.addingTimeInterval(5), limit: 10, claimer: "g1", leaseUntil: t.addingTimeInterval(35)
            ).isEmpty)
        // The next due is the head's retry: the events behind it are not due while it waits.
        #expect(try await store.nextQueuedDue(consumer: "webhook:crm") == t.addingTimeInterval(10))
        claimed = try await store.claimQueued(
            consumer: "webhook:crm", now: t.addingTimeInterval(10), limit: 10, claimer: "g1", leaseUntil: t.addingTimeInterval(40))
        #expect(claimed.map(\.payload) == ["{\"n\":1}"])
        #expect(claimed[0].attempts == 1)
        #expect(claimed[0].lastError == "HTTP 503")
        try await store.completeQueued(id: claimed[0].id, result: .done(keep: true), at: t.addingTimeInterval(10))
        claimed = try await store.claimQueued(
            consumer: "webhook:crm", now: t.addingTimeInterval(10), limit: 10, claimer: "g1", leaseUntil: t.addingTimeInterval(40))
        #expect(claimed.map(\.payload) == ["{\"n\":2}"])
        // An expired lease is claimed again.
        let again = try await store.claimQueued(
            consumer: "webhook:crm", now: t.addingTimeInterval(41), limit: 10, claimer: "g2", leaseUntil: t.addingTimeInterval(70))
        #expect(again.map(\.id) == claimed.map(\.id))
        try await store.completeQueued(id: again[0].id, result: .done(keep: false), at: t.addingTimeInterval(41))
        let rest = try await store.claimQueued(
            consumer: "webhook:crm", now: t.addingTimeInterval(41), limit: 10, claimer: "g2", leaseUntil: t.addingTimeInterval(70))
        #expect(rest.map(\.payload) == ["{\"n\":4}"])
        let rules = try await store.claimQueued(consumer: "rules", now: t, limit: 10, claimer: "g1", leaseUntil: t.addingTimeInterval(30))
        #expect(rules.map(\.conversationID) == [3])
        // Delivered events stay listed (newest first); removed ones do not.
        let delivered = try await store.queuedEvents(consumer: "webhook:crm", state: .delivered, before: nil, limit: 10)
        #expect(delivered.map(\.payload) == ["{\"n\":3}", "{\"n\":1}"])
        #expect(delivered.map(\.attempts) == [1, 2])
    }

    @Sendable static func outcomesInOneBatch(_ store: any Store) async throws {
        let t = automationBase
        try await store.enqueue([event(1, 1, at: t), event(2, 2, at: t), event(3, 3, at: t), event(4, 4, at: t)])
        let claimed = try await store.claimQueued(consumer: "webhook:crm", now: t, limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(30))
        #expect(claimed.count == 4)
        try await store.completeQueued(
            [
                QueueCompletion(id: claimed[0].id, result: .done(keep: true)),
                QueueCompletion(id: claimed[1].id, result: .done(keep: false)),
                QueueCompletion(id: claimed[2].id, result: .retry(error: "HTTP 503", at: t.addingTimeInterval(5))),
                QueueCompletion(id: claimed[3].id, result: .failed(error: "HTTP 400")),
            ], at: t)
        let all = try await store.queuedEvents(consumer: "webhook:crm", state: nil, before: nil, limit: 10)
        #expect(all.map(\.payload) == ["{\"n\":4}", "{\"n\":3}", "{\"n\":1}"])
        #expect(all.map(\.state) == [.failed, .queued, .delivered])
        #expect(all.map(\.attempts) == [1, 1, 1])
        #expect(all.map(\.lastError) == ["HTTP 400", "HTTP 503", nil])
        // The retried one is due again at its time, claimable by anyone (its lease was let go).
        #expect(
            try await store.claimQueued(
                consumer: "webhook:crm", now: t.addingTimeInterval(5), limit: 10, claimer: "h", leaseUntil: t.addingTimeInterval(60)
            ).map(\.payload) == ["{\"n\":3}"])
        // An empty batch changes nothing.
        try await store.completeQueued([], at: t)
    }

    @Sendable static func deadLettersAndReplay(_ store: any Store) async throws {
        let t = automationBase
        try await store.enqueue([event(1, 1, at: t), event(1, 2, at: t), event(2, 3, at: t)])
        var claimed = try await store.claimQueued(consumer: "webhook:crm", now: t, limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(30))
        try await store.completeQueued(id: claimed[0].id, result: .failed(error: "HTTP 400: refused"), at: t)
        try await store.completeQueued(id: claimed[1].id, result: .done(keep: true), at: t)
        // A dead letter no longer holds its conversation back.
        claimed = try await store.claimQueued(consumer: "webhook:crm", now: t, limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(30))
        #expect(claimed.map(\.payload) == ["{\"n\":2}"])
        try await store.completeQueued(id: claimed[0].id, result: .done(keep: true), at: t)
        let failed = try await store.queuedEvents(consumer: "webhook:crm", state: .failed, before: nil, limit: 10)
        #expect(failed.map(\.payload) == ["{\"n\":1}"])
        #expect(failed[0].lastError == "HTTP 400: refused")
        #expect(failed[0].attempts == 1)
        #expect(try await store.replayQueued(consumer: "webhook:crm", ids: [999], at: t) == 0)
        #expect(try await store.replayQueued(consumer: "webhook:other", ids: nil, at: t) == 0)
        #expect(try await store.replayQueued(consumer: "webhook:crm", ids: [failed[0].id], at: t.addingTimeInterval(1)) == 1)
        claimed = try await store.claimQueued(
            consumer: "webhook:crm", now: t.addingTimeInterval(1), limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(30))
        #expect(claimed.map(\.payload) == ["{\"n\":1}"])
        #expect(claimed[0].attempts == 0)
        try await store.completeQueued(id: claimed[0].id, result: .done(keep: true), at: t.addingTimeInterval(2))
        #expect(try await store.queuedEvents(consumer: "webhook:crm", state: .failed, before: nil, limit: 10).isEmpty)

        // Queued too long: dead-lettered; delivered long ago: pruned.
        try await store.enqueue([event(5, 9, at: t)])
        try await store.pruneQueued(
            consumer: "webhook:crm", deliveredBefore: t.addingTimeInterval(100), expire: QueueExpiry(before: t.addingTimeInterval(50)),
            at: t.addingTimeInterval(100))
        let all = try await store.queuedEvents(consumer: "webhook:crm", state: nil, before: nil, limit: 10)
        #expect(all.map(\.payload) == ["{\"n\":9}"])
        #expect(all[0].state == .failed)
        #expect(all[0].lastError?.hasPrefix("not delivered in time") == true)
        // Paging: ids below `before`.
        try await store.enqueue([event(6, 10, at: t), event(7, 11, at: t)])
        let page = try await store.queuedEvents(consumer: "webhook:crm", state: .queued, before: nil, limit: 1)
        #expect(page.map(\.payload) == ["{\"n\":11}"])
        #expect(try await store.queuedEvents(consumer: "webhook:crm", state: .queued, before: page[0].id, limit: 5).map(\.payload) == ["{\"n\":10}"])
    }

    @Sendable static func ruleFiresOnce(_ store: any Store) async throws {
        let t = automationBase
        let first = try await store.ingest([inbound("1", from: "a@x", at: t)], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let note: @Sendable (ConversationState, [String: AgentLoad], Int) throws -> ConversationPlan? = { state, _, _ in
            ConversationPlanner.append(state, direction: .event, author: "rule:r", body: "acted", at: t)
        }
        let firing = RuleFiring(rule: "r", key: "e:1", at: t, recentSince: t.addingTimeInterval(-3600))
        guard case .applied(let applied) = try await store.applyRule(firing, conversation: id, note) else {
            Issue.record("the first firing was not applied")
            return
        }
        #expect(applied.messages.map(\.body) == ["acted"])
        #expect(try await store.applyRule(firing, conversation: id, note) == .alreadyFired)
        // Another key fires again; the plan sees the recent firings.
        let counted: @Sendable (ConversationState, [String: AgentLoad], Int) throws -> ConversationPlan? = { _, loads, recent in
            #expect(recent == 1)
            #expect(loads["ana"] != nil)
            return nil
        }
        #expect(
            try await store.applyRule(RuleFiring(rule: "r", key: "e:2", at: t, recentSince: t.addingTimeInterval(-3600)), conversation: id, counted)
                == .declined(firedRecently: 1))
        // Once per quiet spell: a firing since the conversation's last message counts, whatever its key.
        let quiet = RuleFiring(rule: "r", key: "p:2", at: t.addingTimeInterval(60), recentSince: t, onceSince: t)
        #expect(try await store.applyRule(quiet, conversation: id, note) == .alreadyFired)
        let otherRule = RuleFiring(rule: "s", key: "p:2", at: t.addingTimeInterval(60), recentSince: t, onceSince: t)
        guard case .applied = try await store.applyRule(otherRule, conversation: id, note) else {
            Issue.record("another rule's firing was refused")
            return
        }
        await #expect(throws: StoreError.self) {
            try await store.applyRule(firing, conversation: 999_999, note)
        }
        // Open and pending conversations, paged by id.
        let second = try await store.ingest([inbound("2", from: "b@x", at: t)], policy: TestAgents.policy)[0]
        let third = try await store.ingest([inbound("3", from: "c@x", at: t)], policy: TestAgents.policy)[0]
        _ = try await store.resolve(conversation: try #require(second.conversationID), author: "ana", at: t)
        _ = try await store.setPending(conversation: try #require(third.conversationID), true, by: "ana", at: t)
        #expect(try await store.activeConversations(after: 0, limit: 10) == [id, third.conversationID!])
        #expect(try await store.activeConversations(after: id, limit: 1) == [third.conversationID!])
    }

    @Sendable static func rulePlanExtras(_ store: any Store) async throws {
        let t = automationBase
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(enabled: true, template: { _, _ in "Hi, ref {reference}" }, agent: { _ in nil })
        policy.acknowledgementHold = .seconds(10)
        let first = try await store.ingest([inbound("1", from: "a@x", at: t)], policy: policy)[0]
        let second = try await store.ingest([inbound("2", from: "b@x", at: t)], policy: policy)[0]
        #expect(first.queuedAcknowledgement && second.queuedAcknowledgement)
        // Held: nothing is due until the rules ran (or the hold ran out).
        #expect(try await store.claimDeliveries(now: t.addingTimeInterval(1), limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(60)).isEmpty)
        try await store.releaseAcknowledgements(conversation: try #require(first.conversationID), at: t.addingTimeInterval(1))
        let released = try await store.claimDeliveries(now: t.addingTimeInterval(1), limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(60))
        #expect(released.map(\.conversationID) == [first.conversationID!])
        #expect(released.first?.purpose == .acknowledgement)

        // A spam plan: tags, withholds the acknowledgement, queues an event, all in its transaction.
        let id = try #require(second.conversationID)
        let crm = QueuedEvent(consumer: "webhook:crm", conversationID: id, type: "rule.fired", payload: "{}", cause: "spam", createdAt: t)
        let spam: @Sendable (ConversationState, [String: AgentLoad], Int) throws -> ConversationPlan? = { state, _, _ in
            var plan = try ConversationPlanner.resolve(state, by: "Rule 'spam'", at: t)
            plan.addTags = TagAddition(tags: ["spam", "junk"], by: "rule:spam")
            plan.acknowledgements = .withhold(reason: "not sent: spam")
            plan.enqueue = [crm]
            return plan
        }
        guard case .applied = try await store.applyRule(RuleFiring(rule: "spam", key: "e:9", at: t, recentSince: t), conversation: id, spam) else {
            Issue.record("the spam plan was not applied")
            return
        }
        let detail = try #require(try await store.conversation(id))
        #expect(detail.tags == ["junk", "spam"])
        #expect(detail.status == .resolved)
        let ack = try #require(detail.messages.first { $0.metadata?["purpose"] == "acknowledgement" })
        #expect(ack.delivery?.state == .failed)
        #expect(ack.delivery?.error == "not sent: spam")
        #expect(try await store.claimDeliveries(now: t.addingTimeInterval(30), limit: 10, claimer: "g", leaseUntil: t.addingTimeInterval(60)).isEmpty)
        #expect(try await store.queuedEvents(consumer: "webhook:crm", state: .queued, before: nil, limit: 5).map(\.cause) == ["spam"])
        // A withheld acknowledgement can still be sent by an agent.
        #expect(try await store.retryDelivery(message: ack.id, at: t.addingTimeInterval(40))?.delivery?.state == .queued)
    }
}
