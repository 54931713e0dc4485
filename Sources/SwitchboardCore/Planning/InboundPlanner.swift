import Foundation
import SwitchboardAdapterAPI

/// The routing rules of one inbound message — identify, thread, assign, start the promises,
/// acknowledge — as a pure function of what the engine read. Every engine stores the same way
/// because none of them decides.
public enum InboundPlanner {
    public static func plan(
        _ item: IngestItem, _ message: InboundMessage, _ snapshot: InboundSnapshot, loads: [String: AgentLoad], policy: IngestPolicy
    ) -> InboundPlan {
        if let duplicate = snapshot.duplicate { return .duplicate(duplicate) }
        let now = item.receivedAt
        var message = message
        if message.kind == .automated, message.metadata["automated"] == nil { message.metadata["automated"] = "true" }
        let identity = snapshot.identity
        let direction: MessageDirection = message.kind == .activity ? .event : .inbound
        let answered = snapshot.answered

        // Machines answering our mail (bounces, out-of-office) are filed in the thread of our reply
        // they answer. Only an id of one of our replies counts: it carries an unguessable tag,
        // while a customer's message id can be quoted by anyone who saw it.
        if message.kind == .automated, let answered, answered.ours, let into = snapshot.answeredConversation {
            var filed = inboundMessage(item, message, identity: identity, direction: direction, inReplyTo: answered.message, known: nil)
            filed.identity = nil
            return .file(filed, into: into)
        }

        let contact = message.kind == .contact
        var snapshot = snapshot
        // A participant of someone's conversation (copied on it) who writes into it, answering it or
        // quoting its reference, is that conversation, not a new customer's: the mail joins the
        // thread without becoming an identity of its customer (a later fresh mail of theirs is
        // their own). Anything less stays a suggestion below.
        let joins = contact && snapshot.participantOf.map { $0.status == .open || $0.status == .pending } == true
        if joins, let joined = snapshot.participantOf {
            // No identity row of theirs: the message is linked to none (identity 0 is never written).
            snapshot.customer = KnownCustomer(id: joined.customerID, identity: 0, name: nil, lastContactAt: nil)
            snapshot.conversation = joined
            snapshot.quoted = nil
        }
        let name = joins ? nil : message.customerName?.trimmed.nilIfEmpty
        var lines: [PlannedMessage] = [
            inboundMessage(
                item, message, identity: identity, direction: direction,
                inReplyTo: answered.flatMap { $0.conversation == snapshot.conversation?.id ? $0.message : nil },
                known: snapshot.customer)
        ]
        if joins {
            lines[0].identity = nil
            lines.append(.event("\(identity.address), a participant of this conversation, wrote into it", at: now))
        }
        let participants =
            contact
            ? message.participants.map { policy.normalizer.normalize(ChannelIdentity(channel: identity.channel, address: $0)) } : []
        var loads = loads
        var changes: [LoadChange] = []
        func change(_ c: LoadChange) {
            changes.append(c)
            loads.apply(c)
        }

        // Thread and assign. Only a customer reaching out moves work around; automated mail and
        // call activity are recorded where they belong and change nothing else.
        var assignment: AssignmentChange?
        var startsRequest = false
        var answeredBefore = false
        var state: ConversationState
        let isNew = snapshot.conversation == nil
        if var existing = snapshot.conversation {
            let reopening = existing.status == .resolved
            answeredBefore = !reopening && existing.answeredAt != nil
            if contact, existing.status == .pending {
                // The customer answered what we waited for: open again, the resolution clock resumes.
                existing.resume(at: now, hours: policy.sla.applied(id: existing.slaPolicy, adapter: item.adapter).hours)
            }
            if contact {
                startsRequest = reopening
                let team = existing.team ?? policy.teamOfAdapter(item.adapter)
                let current = existing.assignee
                // A resolved conversation carries nobody's load; reopening decides afresh.
                let decision = policy.assignment.decide(
                    owner: existing.owner, currentAssignee: reopening ? nil : current, team: team, loads: loads, at: now)
                if reopening || decision.assignee != current || decision.owner != existing.owner {
                    if !reopening, decision.assignee != current, let current { change(.unassigned(current)) }
                    if reopening || decision.assignee != current, let next = decision.assignee { change(.assigned(next)) }
                    existing.status = .open
                    existing.owner = decision.owner
                    existing.assignee = decision.assignee
                    existing.resolvedAt = nil
                    let why = decision.reason ?? (decision.assignee.map { "assigned to \($0)" } ?? "waiting for the team")
                    assignment = AssignmentChange(
                        owner: decision.owner, assignee: decision.assignee,
                        reason: reopening ? "reopened by the customer's new message; \(why)" : why)
                }
            }
            state = existing
        } else if contact {
            startsRequest = true
            let team = policy.teamOfAdapter(item.adapter)
            let owner = policy.assignment.ownerForNewCustomer(team: team, loads: loads, at: now)
            if let owner { change(.assigned(owner)) }
            state = ConversationState(
                id: 0, customerID: snapshot.customer?.id ?? 0, status: .open, owner: owner, assignee: owner, team: team,
                createdAt: now, lastMessageAt: now)
            let teamText = team.map { "team \($0)" } ?? "any team"
            assignment = AssignmentChange(
                owner: owner, assignee: owner,
                reason: owner.map { "new customer: \($0) is the least-loaded available agent of \(teamText) and becomes the owner" }
                    ?? "new customer: no agent of \(teamText) is available; waiting for a supervisor")
        } else {
            // Nobody's work yet: kept in the customer's history, reopened by their first real message.
            state = ConversationState(
                id: 0, customerID: snapshot.customer?.id ?? 0, status: .resolved, team: policy.teamOfAdapter(item.adapter),
                createdAt: now, lastMessageAt: now, resolvedAt: now)
        }
        var assignmentEvent: Int?
        if let assignment {
            assignmentEvent = lines.count
            lines.append(.event(assignment.reason, at: now))
        }

        // Suggestions, never silent joins: a reply inside someone else's thread, or an unknown
        // sender quoting someone's reference, may be that customer or a stranger.
        let references = policy.references
        if contact, let answered, answered.customer != snapshot.customer?.id {
            lines.append(
                .event(
                    PlannedText { ids in
                        "This message answers one in \(references.format(answered.conversation)), another customer's conversation. If they are the same person, merge customer \(ids.customer) into customer \(answered.customer)."
                    }, at: now))
        }
        if snapshot.customer == nil, let quoted = snapshot.quoted {
            lines.append(
                .event(
                    PlannedText { ids in
                        QuotedReference.suggestion(
                            quoted: (quoted.conversation, quoted.customer), newCustomer: ids.customer, identity: identity, references: references)
                    }, at: now))
        }

        guard contact else {
            state.lastMessageAt = max(state.lastMessageAt, now)
            return .store(
                InboundStorePlan(
                    customer: snapshot.customer, identity: identity, customerName: name, conversation: state, newConversation: isNew,
                    messages: lines, loads: changes, countsContact: false, assignment: assignment, assignmentEvent: assignmentEvent,
                    acknowledgement: nil, at: now))
        }

        // The priority, and the SLA policy it chooses with the channel and what is known of the
        // customer: chosen again whenever the customer writes (a policy replaced mid-request moves
        // the running clocks to it).
        let sla = policy.sla
        let previous =
            startsRequest || state.slaPolicy == nil ? nil : sla.applied(id: state.slaPolicy, adapter: item.adapter, reason: state.slaReason)
        state.priority = SLAPlanner.priority(state.priority, message: message.priority, startsRequest: startsRequest)
        let context = snapshot.customer.map { policy.cachedContext($0.id) } ?? [:]
        let chosen = sla.choose(SLAFacts(priority: state.priority, adapter: item.adapter, channel: identity.channel, context: context))
        SLAPlanner.adopt(&state, chosen, previous: previous, at: now)

        // Clocks run in the policy's business hours: the first answer is due `first_response` of open
        // time after the message, a later one `next_response`; a missed call promises a call back sooner.
        let hours = chosen.hours
        let target = answeredBefore ? chosen.nextResponse : chosen.firstResponse
        var due = hours.deadline(from: now, adding: target)
        var warnAt = hours.deadline(from: now, adding: target * 0.8)
        if startsRequest, let resolution = chosen.resolution {
            state.resolutionDue = hours.deadline(from: now, adding: resolution)
            state.resolutionBreached = false
            state.resolutionLeft = nil
        }
        if message.requestsCallback {
            let within = policy.callbackWithin(item.adapter)
            let promised = hours.deadline(from: now, adding: within)
            let callback = min(state.callbackDue ?? promised, promised)
            state.callbackDue = callback
            due = min(due, callback)
            warnAt = min(warnAt, hours.deadline(from: now, adding: within * 0.8))
            let owner = state.owner
            lines.append(.event("Call back promised by \(callback.formatted(.iso8601)) (\(owner.map { "owner \($0)" } ?? "no owner yet"))", at: now))
        }
        state.lastMessageAt = now
        state.firstResponseDue = min(state.firstResponseDue ?? due, due)
        state.awaitingSince = state.awaitingSince ?? now
        state.slaWarnAt = min(state.slaWarnAt ?? warnAt, warnAt)

        // A new request is acknowledged, unless the customer wrote within the quiet period, the
        // channel would refuse it, the sender is unverified or over the limits.
        var acknowledgement: Int?
        let acks = policy.acknowledgement
        let quiet = acks.quietPeriod.seconds
        if startsRequest, acks.enabled, snapshot.customer?.lastContactAt.map({ now.timeIntervalSince($0) >= quiet }) ?? true,
            let template = acks.template(
                item.adapter,
                ReplyContext(
                    to: message.from.address, threadRef: message.threadRef, inReplyTo: message.externalID, text: "")),
            acks.permits(message, at: now)
        {
            let (owner, customer, dueText) = (state.owner, snapshot.customer?.name ?? name, state.firstResponseDue)
            let hold = policy.acknowledgementHeldFor.contains(isNew ? .created : .reopened) ? policy.acknowledgementHold : nil
            acknowledgement = lines.count
            lines.append(
                PlannedMessage(
                    direction: .outbound, adapter: item.adapter, address: message.from.address, threadRef: message.threadRef,
                    inReplyTo: .planned(0),
                    body: PlannedText { ids in
                        acks.render(template, reference: references.format(ids.conversation), owner: owner, customer: customer, due: dueText)
                    },
                    author: "switchboard", metadata: ["purpose": "acknowledgement"], createdAt: now,
                    delivery: DeliveryInfo(state: .queued, attempts: 0),
                    outbox: PlannedDelivery(
                        adapter: item.adapter, inReplyToExternalID: message.externalID,
                        nextAttemptAt: hold.map { now.addingTimeInterval($0.seconds) } ?? now, purpose: .acknowledgement)))
            state.lastAcknowledgedAt = now
        }
        return .store(
            InboundStorePlan(
                customer: snapshot.customer, identity: identity, customerName: name, conversation: state, newConversation: isNew,
                messages: lines, loads: changes, countsContact: true, assignment: assignment, assignmentEvent: assignmentEvent,
                acknowledgement: acknowledgement, at: now, startsRequest: startsRequest, participants: participants))
    }

    /// The customer's message as the thread keeps it.
    static func inboundMessage(
        _ item: IngestItem, _ message: InboundMessage, identity: ChannelIdentity, direction: MessageDirection, inReplyTo: Int64?,
        known: KnownCustomer?
    ) -> PlannedMessage {
        PlannedMessage(
            direction: direction, adapter: item.adapter, channel: identity.channel, address: message.from.address,
            threadRef: message.threadRef, externalID: message.externalID, inReplyTo: inReplyTo.map(PlannedLink.stored),
            body: .fixed(message.text), metadata: message.metadata.isEmpty ? nil : message.metadata, attachments: message.attachments,
            sentAt: message.sentAt, createdAt: item.receivedAt, identity: known.map { .stored($0.identity) } ?? .new)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
