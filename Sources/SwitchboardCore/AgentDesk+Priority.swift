import Foundation
import SwitchboardAdapterAPI

/// What an agent's priority change did: the priority, the SLA policy it chose and why, and the line
/// recorded in the thread (nil when the priority was that already).
public struct PriorityChange: Sendable, Codable, Equatable {
    public var conversation: Int64
    public var priority: Priority
    public var sla: SLAView
    public var firstResponseDue: Date?
    public var resolutionDue: Date?
    public var event: MessageRecord?

    enum CodingKeys: String, CodingKey {
        case conversation, priority, sla, event
        case firstResponseDue = "first_response_due"
        case resolutionDue = "resolution_due"
    }
}

extension AgentDesk {
    /// Sets a conversation's priority; the SLA policy is chosen again and running clocks move to it.
    public func setPriority(_ conversationID: Int64, _ priority: Priority, by viewer: Viewer) async throws -> PriorityChange {
        let access = try await authorize(conversationID, viewer)
        guard let facts = try await store.conversationFacts(conversation: conversationID, message: nil) else {
            throw ServiceError.notFound("conversation \(conversationID)")
        }
        let context = sla.usesContext ? await contextData(facts) : [:]
        let (sla, at, author) = (self.sla, now(), viewer.agentID)
        let applied = try await store.change(conversation: conversationID, routing: false) { state, _ in
            SLAPlanner.setPriority(state, to: priority, by: author, facts: facts.slaFacts(context: context), sla: sla, at: at)
        }
        let state = applied?.state ?? facts.state
        if let applied, let event = applied.messages.first {
            events.publish(.conversationPriority(PriorityPayload(applied, by: author)), conversation: access)
            events.publish(.messageCreated(event), conversation: access)
        }
        return PriorityChange(
            conversation: conversationID, priority: state.priority,
            sla: SLAView(sla.applied(id: state.slaPolicy, adapter: facts.message?.adapter, reason: state.slaReason)),
            firstResponseDue: state.firstResponseDue, resolutionDue: state.resolutionDue, event: applied?.messages.first)
    }

    /// The customer's context-provider data, fetched (bounded by each provider's timeout) or cached.
    func contextData(_ facts: ConversationFacts) async -> [String: JSONValue] {
        guard let context else { return [:] }
        return await context.view(facts.contextKeys).context
    }
}
