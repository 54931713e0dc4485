import Foundation
import SwitchboardAdapterAPI

/// Saved replies at the desk: listing, managing, and filling one in for a conversation.
extension AgentDesk {
    /// The saved replies `agent` may use (their own, their teams', everyone's; supervisors every
    /// team's), by shortcut; with use counts for supervisors only.
    public func cannedResponses(for agent: Agent, language: String? = nil) async throws -> [CannedResponse] {
        var list = try await store.cannedResponses(for: CannedResponseAudience(agent))
        if let language = language?.trimmed.lowercased(), !language.isEmpty {
            list = list.filter { $0.language == nil || $0.language == language || $0.language?.hasPrefix(language + "-") == true }
        }
        return agent.isSupervisor
            ? list
            : list.map {
                var r = $0
                r.uses = nil
                return r
            }
    }

    public func createCannedResponse(_ draft: CannedResponseDraft, by agent: Agent) async throws -> CannedResponse {
        try await saveCannedResponse(id: nil, draft, by: agent)
    }

    public func updateCannedResponse(_ id: Int64, _ draft: CannedResponseDraft, by agent: Agent) async throws -> CannedResponse {
        try await saveCannedResponse(id: id, draft, by: agent)
    }

    public func deleteCannedResponse(_ id: Int64, by agent: Agent) async throws {
        let viewer = Viewer(agent)
        let audience = CannedResponseAudience(agent)
        guard try await store.deleteCannedResponse(id, { try CannedResponsePlanner.delete($0, by: viewer, audience: audience) }) else {
            throw ServiceError.notFound("saved reply \(id)")
        }
    }

    /// Saved reply `id` filled in for conversation `conversationID` (which `agent` must be able to
    /// read), missing values flagged; counts as one use.
    public func renderCannedResponse(_ id: Int64, conversation conversationID: Int64, by agent: Agent) async throws -> RenderedResponse {
        let viewer = Viewer(agent)
        guard let response = try await store.cannedResponse(id), CannedResponseAudience(agent).reaches(response) else {
            throw ServiceError.notFound("saved reply \(id)")
        }
        _ = try await authorizeRead(conversationID, viewer)
        guard let detail = try await store.conversationHead(conversationID) else { throw ServiceError.notFound("conversation \(conversationID)") }
        let needsContext = response.body.contains("{context.")
        let customer = needsContext ? await withContext(detail.customer) : detail.customer
        let owner = detail.owner.flatMap { directory[$0] }
        let context = RenderContext(
            customerName: customer.name, reference: references.format(conversationID), ownerName: owner?.name, agentName: agent.name,
            due: detail.firstResponseDue ?? detail.resolutionDue ?? detail.callbackDue,
            timeZone: owner?.schedule.timeZone ?? agent.schedule.timeZone, context: customer.context)
        let rendered = CannedResponseRenderer.render(response.body, context, language: response.language)
        try await store.countCannedResponseUse(id)
        return rendered
    }

    private func saveCannedResponse(id: Int64?, _ draft: CannedResponseDraft, by agent: Agent) async throws -> CannedResponse {
        let clean = try CannedResponsePlanner.validate(draft, knownTeams: Set(directory.agents.flatMap(\.teams)))
        let viewer = Viewer(agent)
        let audience = CannedResponseAudience(agent)
        let at = now()
        do {
            return try await store.saveCannedResponse(
                id: id, shortcut: clean.shortcut, scope: clean.scope, owner: clean.scope == .personal ? agent.id : nil
            ) { existing, clash in
                try CannedResponsePlanner.save(clean, by: viewer, audience: audience, existing: existing, clash: clash, at: at)
            }
        } catch let error as StoreError {
            // `id` names no saved reply: a 404 like any other.
            throw ServiceError(error)
        }
    }
}
