import Foundation
import Logging
import SwitchboardAdapterAPI

/// What agents can do, with the visibility rules applied: an agent acts on the conversations
/// assigned to or owned by them, a supervisor on all. The agent API is a thin layer over this.
public struct AgentDesk: Sendable {
    public let directory: AgentDirectory
    let store: any Store
    private let adapters: AdapterRegistry
    let events: EventBus
    private let assignment: AssignmentPolicy
    private let outbox: DeliveryWorker
    let now: @Sendable () -> Date
    let normalizer: IdentityNormalizer
    let context: CustomerContext?
    /// Formats the references agents read to customers (the check part needs the gateway's key).
    let references: ConversationReferences
    /// The hours the promises' clocks run in (`routing.business_hours`), for what a pending
    /// conversation keeps of its resolution promise.
    let businessHours: BusinessHours
    /// Who has which conversation open (collision detection).
    public let presence: ConversationPresence
    /// The SLA policies and the default clocks (`sla:`, `routing`), chosen again when the priority changes.
    public let sla: SLAPolicies
    /// Where reassignments, escalations, merges, exports, erasures and status changes are recorded.
    public let audit: AuditTrail?
    /// Told of every erasure (e.g. a search index that keeps its own copy of message text).
    let erasureObservers: [any ErasureObserver]
    /// The largest file an agent may upload (`server.max_upload`).
    public var maxUploadBytes: Int = 100 * 1024 * 1024

    public init(
        directory: AgentDirectory, store: any Store, adapters: AdapterRegistry, events: EventBus,
        outbox: DeliveryWorker, references: ConversationReferences, rules: RoutingRules = RoutingRules(),
        businessHours: BusinessHours = .always, now: @escaping @Sendable () -> Date = Date.init,
        normalizer: IdentityNormalizer = IdentityNormalizer(), context: CustomerContext? = nil, presence: ConversationPresence? = nil,
        sla: SLAPolicies? = nil, audit: AuditTrail? = nil, erasureObservers: [any ErasureObserver] = []
    ) {
        self.sla =
            sla
            ?? SLAPolicies(
                firstResponse: { _ in .seconds(86400) }, nextResponse: { _ in .seconds(86400) }, resolution: { _ in nil }, hours: businessHours)
        self.audit = audit
        self.erasureObservers = erasureObservers
        self.presence = presence ?? ConversationPresence(events: events, now: now)
        self.references = references
        self.businessHours = businessHours
        self.normalizer = normalizer
        self.context = context
        self.directory = directory
        self.store = store
        self.adapters = adapters
        self.events = events
        self.assignment = AssignmentPolicy(directory: directory, rules: rules)
        self.outbox = outbox
        self.now = now
    }

    public func status(of agent: Agent) async throws -> AgentStatus {
        try await store.agentStatus(agent.id)
    }

    /// Records the agent's availability. Becoming available hands back the conversations others
    /// covered for them and gives them the oldest waiting conversations of their teams.
    public func setStatus(_ status: AgentStatus, for agent: Agent) async throws {
        let before = try await store.agentStatus(agent.id)
        try await store.setAgentStatus(agent.id, status)
        if before != status {
            await audit?.record(
                .agentStatusChanged, actor: agent.id, subject: "agent:\(agent.id)", details: ["from": before.rawValue, "to": status.rawValue])
        }
        guard status == .available, agent.role == .agent, agent.schedule.isOnShift(at: now()) else { return }
        let changes = try await store.takeWork(
            agent: agent.id, teams: agent.teams, returnToOwner: assignment.rules.returnToOwner, capacity: agent.capacity, at: now())
        for change in changes {
            events.publish(
                .conversationAssigned(
                    AssignedPayload(
                        conversation: change.conversation.id, owner: change.conversation.owner,
                        assignee: change.conversation.assignee, reason: change.event.body)), conversation: change.conversation,
                alsoNotify: [change.previousAssignee].compactMap { $0 })
        }
    }

    public func conversations(for viewer: Viewer, status: ConversationQuery.StatusFilter, limit: Int) async throws -> [ConversationSummary] {
        try await store.conversations(ConversationQuery(viewer: viewer, status: status, limit: limit)).map(withReference)
    }

    /// The summary with the reference the customer was given.
    func withReference(_ summary: ConversationSummary) -> ConversationSummary {
        var summary = summary
        summary.reference = references.format(summary.id)
        return summary
    }

    public func conversation(_ id: Int64, for viewer: Viewer) async throws -> ConversationDetail {
        _ = try await authorizeRead(id, viewer)
        guard var detail = try await store.conversation(id) else { throw ServiceError.notFound("conversation \(id)") }
        detail.customer = await withContext(detail.customer)
        detail.channels = try await replyChannels(detail)
        detail.reference = references.format(detail.id)
        detail.viewers = presence.viewers(of: id, excluding: viewer.agentID)
        let adapter = detail.messages.last { $0.direction == .inbound }?.adapter
        detail.sla = SLAView(sla.applied(id: detail.slaPolicy, adapter: adapter, reason: detail.slaReason))
        return detail
    }

    /// Announces that the agent is viewing or typing in the conversation, or has left it, to the
    /// others who can see it; lasts ``ConversationPresence/expiry`` unless renewed. Returns the
    /// announcement and who else has it open.
    public func announcePresence(
        _ state: PresenceState, in conversationID: Int64, by viewer: Viewer
    ) async throws -> (announced: PresencePayload, viewers: [ConversationViewer]) {
        let access = try await authorizeRead(conversationID, viewer)
        let name = directory[viewer.agentID]?.name ?? viewer.agentID
        let announced = presence.announce(state, agent: viewer.agentID, name: name, in: access)
        return (announced, presence.viewers(of: conversationID, excluding: viewer.agentID))
    }

    /// Every adapter that can reach this customer, with what it allows right now.
    func replyChannels(_ detail: ConversationDetail) async throws -> [ReplyChannel] {
        let latest = detail.messages.last { $0.direction == .inbound && $0.adapter != nil }?.adapter
        let wroteThrough = Set(detail.messages.compactMap { $0.direction == .inbound ? $0.adapter : nil })
        let identityChannels = Set(detail.customer.identities.map(\.channel))
        var channels: [ReplyChannel] = []
        for entry in adapters.all {
            let id = entry.adapter.id
            guard wroteThrough.contains(id) || entry.identityChannel.map(identityChannels.contains) == true else { continue }
            guard
                let found = try await store.replyRoute(
                    conversation: detail.id, inReplyTo: nil, via: id, identityChannel: entry.identityChannel)
            else { continue }
            let route = reachable(found, through: entry, identities: detail.customer.identities)
            let capabilities = entry.adapter.capabilities
            var reason: String?
            do {
                try ReplyRules.check(text: "", route: route, capabilities: capabilities, now: now())
                reason = entry.adapter.refusal(
                    for: ReplyContext(
                        to: route.address, threadRef: route.threadRef, inReplyTo: route.inReplyToExternalID, text: ""))
            } catch let error as ServiceError {
                reason = error.message
            }
            let closes = capabilities.replyWindow.flatMap { window in
                route.lastInboundAt.map { $0.addingTimeInterval(Double(window.components.seconds)) }
            }
            channels.append(
                ReplyChannel(
                    adapter: id, address: route.address, isDefault: id == latest, canReply: reason == nil, reason: reason,
                    windowClosesAt: closes, maxTextLength: capabilities.maxTextLength, attachments: capabilities.attachments,
                    templates: capabilities.templates.flatMap { $0.isEmpty ? nil : $0 }))
        }
        return channels
    }

    /// Queues a reply through the adapter the customer wrote on (or `via`), after checking what
    /// that channel allows, so a refusal reaches the agent now rather than as a silent non-delivery.
    /// `attachments` name uploads of the agent's and stored attachments they may read; the channel's
    /// file limits are checked with the rest.
    /// A `template` reply sends one of the adapter's templates with its parameters instead of text
    /// (allowed outside the channel's reply window).
    public func reply(
        to conversationID: Int64, body: String, inReplyTo: Int64?, via: String?, attachments: [ReplyAttachment] = [],
        template: TemplateReply? = nil, by viewer: Viewer
    ) async throws -> MessageRecord {
        let access = try await authorize(conversationID, viewer)
        var text = body.trimmed
        if template != nil {
            guard text.isEmpty, attachments.isEmpty else {
                throw ServiceError.badRequest("a template reply carries neither 'body' nor 'attachments': the template is the message")
            }
        } else {
            guard !text.isEmpty || !attachments.isEmpty else {
                throw ServiceError.badRequest("'body' must not be empty unless the reply carries attachments")
            }
        }
        // A saved reply's missing value never reaches the customer, blank or raw.
        let gaps = CannedResponseRenderer.gaps(in: text)
        guard gaps.isEmpty else {
            throw ServiceError.unprocessable(
                "unfilled_placeholder", "fill in what the saved reply could not: \(gaps.map { "⟦\($0)⟧" }.joined(separator: ", "))")
        }
        if let via, adapters[via] == nil { throw ServiceError.unprocessable("unknown_adapter", "there is no adapter '\(via)'") }
        let identityChannel = via.flatMap { adapters[$0]?.identityChannel }
        guard let found = try await store.replyRoute(conversation: conversationID, inReplyTo: inReplyTo, via: via, identityChannel: identityChannel)
        else {
            if let inReplyTo { throw ServiceError.unprocessable("no_route", "message \(inReplyTo) is not a customer message of this conversation") }
            if let via { throw ServiceError.unprocessable("no_route", "the customer has no address known to adapter '\(via)'") }
            throw ServiceError.unprocessable("no_route", "the customer has not written through any adapter yet; name one with 'via'")
        }
        guard let entry = adapters[found.adapter] else {
            throw ServiceError.unprocessable("adapter_unavailable", "adapter '\(found.adapter)' is no longer configured; choose another with 'via'")
        }
        let route = try await reachable(found, through: entry, conversation: conversationID)
        let capabilities = entry.adapter.capabilities
        var metadata: [String: String]?
        if let template {
            // A template is what a closed window allows: only a channel that sends nothing refuses it.
            if let refusal = capabilities.replyRefusal { throw ServiceError.unprocessable("channel_cannot_reply", refusal) }
            (text, metadata) = try TemplateRules.check(template, templates: capabilities.templates, adapter: route.adapter)
        } else {
            try ReplyRules.check(text: text, route: route, capabilities: capabilities, now: now())
        }
        if let refusal = entry.adapter.refusal(
            for: ReplyContext(
                to: route.address, threadRef: route.threadRef, inReplyTo: route.inReplyToExternalID, text: text))
        {
            throw ServiceError.unprocessable("refused_by_channel", refusal)
        }
        let files = try await replyFiles(attachments, by: viewer)
        let recorded = try AttachmentRules.check(files, limits: capabilities.attachments, adapter: route.adapter)
        // Tells the outbox the reply has files to read, so a text reply costs it no extra lookup.
        if !recorded.isEmpty { metadata = (metadata ?? [:]).merging([DeliveryWorker.filesKey: String(recorded.count)]) { $1 } }
        let message = try await store.appendReply(
            conversation: conversationID, author: viewer.agentID, body: text, route: route, attachments: recorded, metadata: metadata, at: now())
        events.publish(.messageCreated(message), conversation: access)
        outbox.wake()
        return message
    }

    /// Hands the conversation to a supervisor of its team (the owner stays the owner) and records why.
    public func escalate(_ conversationID: Int64, reason: String, by viewer: Viewer) async throws -> MessageRecord {
        let access = try await authorize(conversationID, viewer)
        let why = reason.trimmed
        guard !why.isEmpty else { throw ServiceError.badRequest("'reason' must not be empty") }
        guard let supervisor = assignment.supervisorForEscalation(team: access.team, loads: try await store.agentLoads()) else {
            throw ServiceError.unprocessable("no_supervisor", "no supervisor is configured to take escalations")
        }
        let event = try await store.reassign(
            conversation: conversationID, assignee: supervisor, owner: nil, escalated: true,
            event: "Escalated by \(viewer.agentID) to \(supervisor): \(why)", author: viewer.agentID, at: now())
        var after = access
        after.assignee = supervisor
        await audit?.record(.conversationEscalated, actor: viewer.agentID, subject: "conversation:\(conversationID)", details: ["to": supervisor])
        events.publish(.conversationEscalated(event), conversation: after, alsoNotify: [access.assignee].compactMap { $0 })
        events.publish(
            .conversationAssigned(
                AssignedPayload(
                    conversation: conversationID, owner: after.owner, assignee: supervisor, reason: "escalated: \(why)")), conversation: after,
            alsoNotify: [access.assignee].compactMap { $0 })
        return event
    }

    /// Open conversations flagged escalated (by an agent or a missed promise), for supervisors.
    public func escalations(for viewer: Viewer, limit: Int) async throws -> [ConversationSummary] {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors see the escalation list") }
        return try await store.conversations(ConversationQuery(viewer: viewer, status: .open, limit: limit, escalatedOnly: true))
            .map(withReference)
    }

    /// Tags a conversation (lower-cased, trimmed; 1–50 characters each); returns all its tags.
    public func tag(_ conversationID: Int64, tags: [String], by viewer: Viewer) async throws -> [String] {
        _ = try await authorize(conversationID, viewer)
        let clean = tags.map { $0.trimmed.lowercased() }
        guard !clean.isEmpty, clean.allSatisfy({ (1...50).contains($0.count) }) else {
            throw ServiceError.badRequest("'tags' must be a non-empty list of tags of 1 to 50 characters")
        }
        return try await store.addTags(conversation: conversationID, tags: clean, by: viewer.agentID, at: now())
    }

    /// Any agent can hand an idea upward; supervisors read them.
    public func suggest(_ body: String, conversation: Int64?, by viewer: Viewer) async throws -> Suggestion {
        let text = body.trimmed
        guard !text.isEmpty else { throw ServiceError.badRequest("'body' must not be empty") }
        if let conversation { _ = try await authorize(conversation, viewer) }
        return try await store.addSuggestion(author: viewer.agentID, body: text, conversation: conversation, at: now())
    }

    public func suggestions(for viewer: Viewer, limit: Int) async throws -> [Suggestion] {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors read suggestions") }
        return try await store.suggestions(limit: limit)
    }

    /// Gives the open conversations of agents removed from the configuration to agents who are,
    /// recorded in each thread: a customer is never orphaned. Run at start-up.
    public func redistributeOrphans() async throws -> Int {
        let orphans = try await store.orphanedConversations()
        guard !orphans.isEmpty else { return 0 }
        var loads = try await store.agentLoads()
        var moved = 0
        for orphan in orphans {
            let ownerGone = orphan.owner.map { directory[$0] == nil } ?? false
            let keptOwner = ownerGone ? nil : orphan.owner
            let decision = assignment.decide(owner: keptOwner, currentAssignee: nil, team: orphan.team, loads: loads, at: now())
            let gone = Array(Set([orphan.owner, orphan.assignee].compactMap { $0 }.filter { directory[$0] == nil })).sorted()
            let reason =
                "\(gone.joined(separator: " and ")) left the configuration; "
                + (decision.assignee.map { "\($0) takes the conversation" + (decision.owner == $0 && ownerGone ? " as its owner" : "") }
                    ?? "waiting for the team")
            guard
                let change = try await store.redistribute(
                    conversation: orphan.id, owner: decision.owner ?? keptOwner, assignee: decision.assignee, reason: reason, at: now())
            else { continue }
            if let assignee = decision.assignee { loads[assignee]?.openAssigned += 1 }
            moved += 1
            await audit?.record(
                .conversationReassigned, actor: AuditActor.system, subject: "conversation:\(orphan.id)",
                details: [
                    "reason": "agent_removed", "to": decision.assignee ?? "", "from": gone.joined(separator: ","),
                ])
            events.publish(
                .conversationAssigned(
                    AssignedPayload(
                        conversation: orphan.id, owner: change.conversation.owner, assignee: change.conversation.assignee, reason: reason)),
                conversation: change.conversation)
        }
        return moved
    }

    /// A supervisor hands the conversation to another agent, and optionally makes them the owner.
    public func assign(_ conversationID: Int64, to agentID: String, makeOwner: Bool, by viewer: Viewer) async throws -> MessageRecord {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors assign conversations") }
        let access = try await authorize(conversationID, viewer)
        guard directory[agentID] != nil else { throw ServiceError.unprocessable("unknown_agent", "there is no agent '\(agentID)'") }
        let text =
            makeOwner
            ? "\(viewer.agentID) assigned the conversation to \(agentID), who is now the owner" + (access.owner.map { " (was \($0))" } ?? "")
            : "\(viewer.agentID) assigned the conversation to \(agentID)" + (access.owner.map { "; \($0) stays the owner" } ?? "")
        let event = try await store.reassign(
            conversation: conversationID, assignee: agentID, owner: makeOwner ? agentID : nil, escalated: false, event: text,
            author: viewer.agentID, at: now())
        var after = access
        after.assignee = agentID
        if makeOwner { after.owner = agentID }
        await audit?.record(
            .conversationReassigned, actor: viewer.agentID, subject: "conversation:\(conversationID)",
            details: [
                "from": access.assignee ?? "", "to": agentID, "owner": makeOwner ? agentID : (access.owner ?? ""),
            ])
        let previous = [access.assignee, access.owner].compactMap { $0 }.filter { $0 != agentID }
        events.publish(
            .conversationAssigned(
                AssignedPayload(
                    conversation: conversationID, owner: after.owner, assignee: agentID, reason: text)), conversation: after, alsoNotify: previous)
        return event
    }

    public func resolve(_ conversationID: Int64, by viewer: Viewer) async throws -> MessageRecord {
        let access = try await authorize(conversationID, viewer)
        let event = try await store.resolve(conversation: conversationID, author: viewer.agentID, at: now())
        events.publish(.conversationResolved(event), conversation: access)
        return event
    }

    /// Re-sends a failed reply with fresh attempts.
    public func retry(message id: Int64, by viewer: Viewer) async throws -> MessageRecord {
        guard let access = try await store.access(message: id) else { throw ServiceError.notFound("message \(id)") }
        guard viewer.canSee(owner: access.owner, assignee: access.assignee) else {
            throw ServiceError.forbidden("message \(id) belongs to a conversation that is not yours")
        }
        guard let message = try await store.retryDelivery(message: id, at: now()) else {
            throw ServiceError.unprocessable("not_retryable", "message \(id) is not a failed reply")
        }
        events.publish(.deliveryUpdated(message), conversation: access)
        outbox.wake()
        return message
    }

    func authorize(_ conversationID: Int64, _ viewer: Viewer) async throws -> ConversationAccess {
        guard let access = try await store.access(conversation: conversationID) else {
            throw ServiceError.notFound("conversation \(conversationID)")
        }
        guard viewer.canSee(owner: access.owner, assignee: access.assignee) else {
            throw ServiceError.forbidden("conversation \(conversationID) is neither assigned to nor owned by \(viewer.agentID)")
        }
        return access
    }
}

/// The channel rules every reply is checked against before it is queued.
public enum ReplyRules {
    public static func check(text: String, route: ReplyRoute, capabilities: AdapterCapabilities, now: Date) throws {
        if let refusal = capabilities.replyRefusal {
            throw ServiceError.unprocessable("channel_cannot_reply", refusal)
        }
        if let max = capabilities.maxTextLength, text.count > max {
            throw ServiceError.unprocessable("too_long", "adapter '\(route.adapter)' accepts at most \(max) characters; this reply has \(text.count)")
        }
        guard let last = route.lastInboundAt else {
            if !capabilities.canInitiate {
                let instead = capabilities.outsideWindowHint.map { "; \($0)" } ?? ""
                throw ServiceError.unprocessable(
                    "cannot_initiate", "adapter '\(route.adapter)' cannot start a conversation: the customer has never written through it\(instead)")
            }
            return
        }
        if let window = capabilities.replyWindow {
            let age = now.timeIntervalSince(last)
            let limit = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
            if age > limit {
                let instead = capabilities.outsideWindowHint ?? "reply through another of the customer's channels"
                throw ServiceError.unprocessable(
                    "outside_reply_window",
                    "adapter '\(route.adapter)' allows free-form replies only within \(formatHours(limit)) of the customer's last message, which was \(formatHours(age)) ago; \(instead)"
                )
            }
        }
    }

    private static func formatHours(_ seconds: Double) -> String {
        seconds >= 3600 ? String(format: "%.1f h", seconds / 3600) : String(format: "%.0f min", seconds / 60)
    }
}
