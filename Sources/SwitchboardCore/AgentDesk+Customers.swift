import Foundation
import SwitchboardAdapterAPI

/// The customer side of the desk: who they are, linking their addresses, merging duplicates.
extension AgentDesk {
    /// A customer, visible to whoever may see their conversation.
    public func customer(_ id: Int64, for viewer: Viewer) async throws -> CustomerDetail {
        guard let detail = try await store.customer(id, now: now()) else { throw ServiceError.notFound("customer \(id)") }
        try await authorizeCustomer(detail, viewer, reading: true)
        return await withContext(detail)
    }

    public func searchCustomers(_ text: String, for viewer: Viewer, limit: Int) async throws -> [CustomerSummary] {
        let query = text.trimmed
        guard query.count >= 2 else { throw ServiceError.badRequest("'q' must have at least 2 characters") }
        return try await store.searchCustomers(query, viewer: viewer, limit: limit)
    }

    /// Adds an address to a customer (normalized like incoming ones: e-mail case-folded, phones E.164).
    public func linkIdentity(customer id: Int64, channel: String, address: String, by viewer: Viewer) async throws -> CustomerDetail {
        let channel = channel.trimmed.lowercased()
        let address = address.trimmed
        guard !channel.isEmpty, !address.isEmpty, channel.count <= 64, address.count <= 320 else {
            throw ServiceError.badRequest("'channel' and 'address' must be non-empty (e.g. {\"channel\": \"phone\", \"address\": \"+34600123456\"})")
        }
        let identity = normalizer.normalize(ChannelIdentity(channel: channel, address: address))
        if channel == "phone", !identity.address.hasPrefix("+") {
            throw ServiceError.badRequest("'\(address)' is not a phone number in international form (e.g. +34600123456)")
        }
        if channel == "email", !identity.address.contains("@") { throw ServiceError.badRequest("'\(address)' is not an e-mail address") }
        let access = try await customerAccess(id, viewer)
        let event = try await store.linkIdentity(
            customer: id, identity: identity, by: viewer.agentID, at: now(), revealHolder: viewer.isSupervisor)
        await context?.forget([id])
        events.publish(.messageCreated(event), conversation: access)
        return try await customer(id, for: viewer)
    }

    /// Folds `other` into `survivor`; the agent must be able to see both.
    public func merge(_ survivor: Int64, with other: Int64, by viewer: Viewer) async throws -> CustomerDetail {
        let before = try await customerAccess(survivor, viewer)
        let otherBefore = try await customerAccess(other, viewer)
        let outcome = try await store.merge(survivor: survivor, absorbed: other, by: viewer.agentID, at: now(), references: references)
        await context?.forget([survivor, other])
        await audit?.record(.customersMerged, actor: viewer.agentID, subject: "customer:\(survivor)", details: ["absorbed": "customer:\(other)"])
        publish(outcome, previous: [before.assignee, otherBefore.assignee, otherBefore.owner])
        return try await customer(survivor, for: viewer)
    }

    /// Undoes the latest merge into this customer. Supervisors only: it splits a thread agents worked on.
    public func unmerge(_ customerID: Int64, by viewer: Viewer) async throws -> CustomerDetail {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors undo merges") }
        let before = try await customerAccess(customerID, viewer)
        let outcome = try await store.unmerge(customer: customerID, by: viewer.agentID, at: now(), references: references)
        await context?.forget([customerID])
        await audit?.record(
            .customersUnmerged, actor: viewer.agentID, subject: "customer:\(customerID)",
            details: [
                "restored": "conversation:\(outcome.absorbed.id)"
            ])
        publish(outcome, previous: [before.assignee])
        return try await customer(customerID, for: viewer)
    }

    /// Puts the conversation on hold while the customer owes an answer, or takes it off hold.
    public func setPending(_ conversationID: Int64, _ pending: Bool, by viewer: Viewer) async throws -> MessageRecord {
        let access = try await authorize(conversationID, viewer)
        let event = try await store.setPending(conversation: conversationID, pending, by: viewer.agentID, at: now(), sla: sla)
        var after = access
        after.status = pending ? .pending : .open
        events.publish(.conversationStatus(event), conversation: after)
        return event
    }

    /// Records that the promised call back was made (the outcome goes in a note).
    public func completeCallback(_ conversationID: Int64, by viewer: Viewer) async throws -> MessageRecord {
        let access = try await authorize(conversationID, viewer)
        guard let event = try await store.completeCallback(conversation: conversationID, by: viewer.agentID, at: now()) else {
            throw ServiceError.unprocessable("no_callback", "conversation \(conversationID) has no call back pending")
        }
        events.publish(.messageCreated(event), conversation: access)
        return event
    }

    /// A supervisor closes an escalation (the conversation stays open); with `handBack` the owner
    /// takes the conversation again.
    public func closeEscalation(_ conversationID: Int64, note: String?, handBack: Bool, by viewer: Viewer) async throws -> MessageRecord {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors close escalations") }
        let access = try await authorize(conversationID, viewer)
        let text = note?.trimmed.isEmpty == false ? note?.trimmed : nil
        let event = try await store.closeEscalation(conversation: conversationID, by: viewer.agentID, note: text, at: now())
        await audit?.record(
            .escalationClosed, actor: viewer.agentID, subject: "conversation:\(conversationID)",
            details: [
                "hand_back": handBack ? "true" : "false"
            ])
        events.publish(.escalationClosed(event), conversation: access)
        if handBack, let owner = access.owner, owner != access.assignee {
            _ = try await assign(conversationID, to: owner, makeOwner: false, by: viewer)
        }
        return event
    }

    /// The team's figures (supervisors only).
    public func report(since: Date, for viewer: Viewer) async throws -> ReportSummary {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors read reports") }
        return try await store.reportSummary(since: since, now: now())
    }

    /// Conversations active since `since` as CSV lines, header first (supervisors only).
    public func exportConversations(since: Date, limit: Int, for viewer: Viewer) async throws -> String {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors export conversations") }
        let rows = try await store.exportConversations(since: since, limit: limit)
        await audit?.record(
            .reportExported, actor: viewer.agentID, subject: "report:conversations.csv",
            details: [
                "since": AuditChain.timestamp(since), "rows": String(rows.count),
            ])
        return ([ConversationExportRow.csvHeader] + rows.map { $0.csvLine(reference: references.format($0.id)) }).joined(separator: "\r\n") + "\r\n"
    }

    /// Fills in the context providers' data (bounded by their timeouts).
    func withContext(_ customer: CustomerDetail) async -> CustomerDetail {
        guard let context, !context.isEmpty else { return customer }
        var detail = customer
        (detail.context, detail.contextStatus) = await context.view(customer.contextKeys)
        return detail
    }

    private func publish(_ outcome: MergeOutcome, previous: [String?]) {
        for event in outcome.events {
            let access = event.conversationID == outcome.survivor.id ? outcome.survivor : outcome.absorbed
            events.publish(.messageCreated(event), conversation: access, alsoNotify: previous.compactMap { $0 })
        }
        for access in [outcome.survivor, outcome.absorbed] where access.status != .merged {
            events.publish(
                .conversationAssigned(
                    AssignedPayload(
                        conversation: access.id, owner: access.owner, assignee: access.assignee, reason: outcome.events.first?.body ?? "merge")),
                conversation: access, alsoNotify: previous.compactMap { $0 })
        }
    }

    private func customerAccess(_ id: Int64, _ viewer: Viewer) async throws -> ConversationAccess {
        guard let detail = try await store.customer(id, now: now()) else { throw ServiceError.notFound("customer \(id)") }
        return try await authorizeCustomer(detail, viewer)
    }

    /// Reading a customer is reading their conversation; changing them (links, merges) needs the
    /// conversation to be the viewer's.
    @discardableResult
    private func authorizeCustomer(_ detail: CustomerDetail, _ viewer: Viewer, reading: Bool = false) async throws -> ConversationAccess {
        guard let conversation = detail.conversation, let access = try await store.access(conversation: conversation) else {
            throw ServiceError.notFound("customer \(detail.id)")
        }
        let allowed = reading ? try await canRead(access, viewer) : viewer.canSee(owner: access.owner, assignee: access.assignee)
        guard allowed else {
            throw ServiceError.forbidden("customer \(detail.id) belongs to a conversation that is neither assigned to nor owned by \(viewer.agentID)")
        }
        return access
    }
}
