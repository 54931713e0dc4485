import Foundation
import SwitchboardAdapterAPI

/// A reply a rule may send, prepared before its transaction: the text (a saved reply resolved),
/// the route, and the channel's refusal if it would refuse it now.
public struct PreparedReply: Sendable {
    /// The text with placeholders still to fill; nil when the saved reply is unknown.
    public var text: String?
    public var route: ReplyRoute?
    /// Why it cannot be sent now (no route, outside the reply window, too long …).
    public var refusal: String?

    public init(text: String?, route: ReplyRoute?, refusal: String?) {
        self.text = text
        self.route = route
        self.refusal = refusal
    }
}

/// What a rule's actions do, decided from the conversation as its transaction reads it.
public struct RuleInvocation: Sendable {
    public var rule: Rule
    /// What the rule's conditions read (tags, the message, the customer).
    public var facts: ConversationFacts
    public var context: [String: JSONValue]
    public var assignment: AssignmentPolicy
    public var sla: SLAPolicies
    /// The rule's `reply` action, prepared (nil: it has none).
    public var reply: PreparedReply?
    public var references: ConversationReferences
    /// The event it runs on, for `rule.fired` (`conversation.created`, `schedule`).
    public var trigger: String
    public var now: Date

    public init(
        rule: Rule, facts: ConversationFacts, context: [String: JSONValue], assignment: AssignmentPolicy, sla: SLAPolicies,
        reply: PreparedReply?, references: ConversationReferences, trigger: String, now: Date
    ) {
        self.rule = rule
        self.facts = facts
        self.context = context
        self.assignment = assignment
        self.sla = sla
        self.reply = reply
        self.references = references
        self.trigger = trigger
        self.now = now
    }
}

/// The plan of one rule firing and what each action did.
public struct RulePlan: Sendable {
    /// Nil when no action changes anything.
    public var plan: ConversationPlan?
    public var results: [RuleActionResult]
    /// Indexes in the plan's messages of the lines that carry `conversation.escalated` and `conversation.resolved`.
    public var escalationEvent: Int?
    public var resolutionEvent: Int?
    /// Why the conversation changed hands, when it did.
    public var assignmentReason: String?
    /// A reply or nothing was queued for the outbox.
    public var queuedReply: Bool
    /// The `rule.fired` payload (also posted to the rule's `webhook` integrations).
    public var fired: RuleFiredPayload
}

/// Rules' actions as pure functions of the conversation: each action changes the conversation
/// (or says why it does not), and each change is recorded in the thread as an event naming the rule.
public enum RulePlanner {
    public static func plan(_ input: RuleInvocation, state: ConversationState, loads: [String: AgentLoad]) -> RulePlan {
        let rule = input.rule
        let now = input.now
        var next = state
        var loads = loads
        var messages: [PlannedMessage] = []
        var loadChanges: [LoadChange] = []
        var results: [RuleActionResult] = []
        var tags = Set(input.facts.tags)
        var added: [String] = []
        var held: HeldAcknowledgements?
        var escalationEvent: Int?
        var resolutionEvent: Int?
        var assignmentReason: String?
        var queuedReply = false
        var webhooks: [String] = []
        let name = "Rule '\(rule.id)'"

        func event(_ action: RuleAction, _ text: String) -> PlannedMessage {
            .event(.fixed("\(name): \(text)"), author: rule.author, metadata: ["rule": rule.id, "action": action.name], at: now)
        }
        func done(_ action: RuleAction, _ text: String) {
            results.append(RuleActionResult(action: action.name, done: true, detail: text))
        }
        func skipped(_ action: RuleAction, _ text: String) {
            results.append(RuleActionResult(action: action.name, done: false, detail: text))
        }
        func move(to assignee: String?, owner: String?) {
            let changes = [LoadChange].move(from: next.assignee, to: assignee, carriesLoad: (next.carriesLoad, next.carriesLoad))
            changes.forEach { loads.apply($0) }
            loadChanges += changes
            next.assignee = assignee
            next.owner = owner
        }
        let live = { next.status == .open || next.status == .pending }

        for action in rule.actions {
            switch action {
            case .priority(let priority):
                guard
                    let changed = SLAPlanner.setPriority(
                        next, to: priority, by: rule.author, named: name, metadata: ["rule": rule.id, "action": action.name],
                        facts: input.facts.slaFacts(context: input.context, priority: priority), sla: input.sla, at: now)
                else {
                    skipped(action, "the priority is \(priority.rawValue) already")
                    continue
                }
                next = changed.state
                messages += changed.messages
                done(action, "priority set to \(priority.rawValue); SLA policy '\(next.slaPolicy ?? SLAPolicies.defaultID)'")

            case .tag(let wanted):
                let new = wanted.filter { !tags.contains($0) }
                guard !new.isEmpty else {
                    skipped(action, "tagged \(wanted.joined(separator: ", ")) already")
                    continue
                }
                tags.formUnion(new)
                added += new
                messages.append(event(action, "tagged \(new.joined(separator: ", "))"))
                done(action, "tagged \(new.joined(separator: ", "))")

            case .assignTeam(let team, let keepOwner):
                guard live() else {
                    skipped(action, "the conversation is \(next.status.rawValue)")
                    continue
                }
                let candidate = input.assignment.leastLoaded(team: team, loads: loads, at: now)
                if next.team == team {
                    if let current = next.assignee, input.assignment.directory[current]?.teams.contains(team) == true {
                        skipped(action, "it is with \(current) of team \(team) already")
                        continue
                    }
                    if next.assignee == nil, candidate == nil {
                        skipped(action, "it waits for team \(team) already")
                        continue
                    }
                }
                next.team = team
                let text: String
                if let candidate {
                    let owner = keepOwner && next.owner != nil ? next.owner : candidate
                    move(to: candidate, owner: owner)
                    text =
                        "assigned to \(candidate), the least-loaded available agent of team \(team)"
                        + (owner == candidate ? ", who becomes the owner" : "; \(owner ?? "nobody") stays the owner")
                } else {
                    move(to: nil, owner: keepOwner ? next.owner : nil)
                    text = "moved to team \(team); nobody of the team is available, so it waits for the team"
                }
                assignmentReason = "\(name): \(text)"
                messages.append(event(action, text))
                done(action, text)

            case .assignAgent(let agentID, let keepOwner):
                guard live() else {
                    skipped(action, "the conversation is \(next.status.rawValue)")
                    continue
                }
                guard let agent = input.assignment.directory[agentID] else {
                    skipped(action, "\(agentID) is not a configured agent")
                    continue
                }
                guard next.assignee != agentID else {
                    skipped(action, "it is assigned to \(agentID) already")
                    continue
                }
                guard input.assignment.isAvailable(agent, loads: loads, at: now, newWork: true) else {
                    skipped(action, "not assigned: " + input.assignment.unavailability(agent, loads: loads, at: now))
                    continue
                }
                let owner = keepOwner && next.owner != nil ? next.owner : agentID
                move(to: agentID, owner: owner)
                let text = "assigned to \(agentID)" + (owner == agentID ? ", who becomes the owner" : "; \(owner ?? "nobody") stays the owner")
                assignmentReason = "\(name): \(text)"
                messages.append(event(action, text))
                done(action, text)

            case .escalate(let reason):
                guard live() else {
                    skipped(action, "the conversation is \(next.status.rawValue)")
                    continue
                }
                guard !next.escalated else {
                    skipped(action, "it is escalated already")
                    continue
                }
                guard let supervisor = input.assignment.supervisorForEscalation(team: next.team, loads: loads) else {
                    skipped(action, "no supervisor is configured to take escalations")
                    continue
                }
                move(to: supervisor, owner: next.owner)
                next.escalated = true
                let text = "escalated to \(supervisor)" + (reason.map { ": \($0)" } ?? "")
                escalationEvent = messages.count
                assignmentReason = "\(name): \(text)"
                messages.append(event(action, text))
                done(action, text)

            case .note(let template):
                let body = render(template, input, next)
                messages.append(
                    PlannedMessage(
                        direction: .note, body: .fixed(body), author: rule.author, metadata: ["rule": rule.id, "action": action.name], createdAt: now)
                )
                messages.append(event(action, "added a note"))
                done(action, "added a note")

            case .reply:
                guard let reply = input.reply else {
                    skipped(action, "no reply was prepared")
                    continue
                }
                if let refusal = reply.refusal {
                    skipped(action, "not sent: \(refusal)")
                    continue
                }
                guard let template = reply.text, let route = reply.route else {
                    skipped(action, "not sent: the saved reply is not known")
                    continue
                }
                let body = render(template, input, next)
                messages.append(
                    PlannedMessage(
                        direction: .outbound, adapter: route.adapter, address: route.address, threadRef: route.threadRef,
                        inReplyTo: route.inReplyTo.map(PlannedLink.stored), body: .fixed(body), author: "switchboard",
                        metadata: ["rule": rule.id, "purpose": "rule"], createdAt: now, delivery: DeliveryInfo(state: .queued, attempts: 0),
                        outbox: PlannedDelivery(adapter: route.adapter, inReplyToExternalID: route.inReplyToExternalID, nextAttemptAt: now)))
                messages.append(event(action, "replied to the customer through \(route.adapter)"))
                queuedReply = true
                done(action, "replied through \(route.adapter)")

            case .resolve:
                guard live(), let resolved = try? ConversationPlanner.resolve(next, by: name, at: now) else {
                    skipped(action, "the conversation is \(next.status.rawValue) already")
                    continue
                }
                resolved.loads.forEach { loads.apply($0) }
                loadChanges += resolved.loads
                next = resolved.state
                resolutionEvent = messages.count
                messages.append(event(action, "resolved the conversation"))
                done(action, "resolved")

            case .spam:
                guard !tags.contains("spam") || live() else {
                    skipped(action, "it is marked as spam already")
                    continue
                }
                if live(), let resolved = try? ConversationPlanner.resolve(next, by: name, at: now) {
                    resolved.loads.forEach { loads.apply($0) }
                    loadChanges += resolved.loads
                    next = resolved.state
                    resolutionEvent = messages.count
                }
                if !tags.contains("spam") {
                    tags.insert("spam")
                    added.append("spam")
                }
                held = .withhold(reason: "not sent: \(name) marked the conversation as spam")
                let text = "marked the conversation as spam: resolved, hidden from the inbox, no acknowledgement"
                messages.append(event(action, text))
                done(action, text)

            case .webhook(let endpoint):
                webhooks.append(endpoint)
                messages.append(event(action, "called the integration \(endpoint)"))
                done(action, "posted rule.fired to \(endpoint)")
            }
        }

        let fired = RuleFiredPayload(
            rule: rule.id, conversation: state.id, trigger: input.trigger, message: input.facts.message?.id, actions: results)
        guard results.contains(where: \.done) else {
            return RulePlan(
                plan: nil, results: results, escalationEvent: nil, resolutionEvent: nil, assignmentReason: nil, queuedReply: false, fired: fired)
        }
        var plan = ConversationPlan(before: state, state: next, messages: messages, loads: loadChanges)
        if !added.isEmpty { plan.addTags = TagAddition(tags: added, by: rule.author) }
        plan.acknowledgements = held
        let payload = String(decoding: JSONCoding.encode(fired), as: UTF8.self)
        plan.enqueue = webhooks.map {
            QueuedEvent(
                consumer: AutomationConsumer.webhook($0), conversationID: state.id, type: DomainEvent.ruleFiredName, payload: payload,
                cause: rule.id, createdAt: now)
        }
        return RulePlan(
            plan: plan, results: results, escalationEvent: escalationEvent, resolutionEvent: resolutionEvent,
            assignmentReason: assignmentReason, queuedReply: queuedReply, fired: fired)
    }

    /// Fills `{customer}` (first name), `{reference}`, `{owner}` and `{agent}` (names of the owner and the assignee).
    static func render(_ template: String, _ input: RuleInvocation, _ state: ConversationState) -> String {
        let directory = input.assignment.directory
        let firstName = input.facts.customerName?.split(separator: " ").first.map(String.init)
        return
            template
            .replacingOccurrences(of: "{customer}", with: firstName ?? "there")
            .replacingOccurrences(of: "{reference}", with: input.references.format(state.id))
            .replacingOccurrences(of: "{owner}", with: state.owner.flatMap { directory[$0]?.name } ?? "Our team")
            .replacingOccurrences(of: "{agent}", with: state.assignee.flatMap { directory[$0]?.name } ?? "Our team")
    }
}
