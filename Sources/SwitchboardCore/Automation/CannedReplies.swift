import Foundation
import SwitchboardAdapterAPI

/// What a rule's `reply: {canned: SHORTCUT}` finds.
public enum CannedReplyText: Sendable, Equatable {
    /// The saved reply, filled in for the conversation.
    case text(String)
    /// No saved reply with that shortcut is available to the conversation's team or everyone.
    case unknown
    /// It would leave these placeholders unfilled (`customer.name` …): not sent, like an agent's.
    case unfilled([String])
}

/// Saved replies as rules reach them (`reply: {canned: shortcut}`).
public protocol CannedReplies: Sendable {
    /// The saved reply `shortcut` filled in for the conversation. `context` fetches the customer's
    /// context-provider data when a placeholder needs it.
    func reply(
        _ shortcut: String, for facts: ConversationFacts, context: @escaping @Sendable () async -> [String: JSONValue]
    ) async throws -> CannedReplyText
}

/// No saved replies (tests, and gateways composed without them).
public struct NoCannedReplies: CannedReplies {
    public init() {}
    public func reply(
        _ shortcut: String, for facts: ConversationFacts, context: @escaping @Sendable () async -> [String: JSONValue]
    ) async throws -> CannedReplyText { .unknown }
}

/// The saved replies agents manage (`/api/v1/canned-responses`): a rule uses the one with that
/// shortcut of the conversation's team, else everyone's (never a personal one), filled in as the
/// console fills it — the assignee as `{agent.name}`, the owner's time zone for `{due}`.
public struct SavedReplies: CannedReplies {
    let store: any CannedResponseStore
    let directory: AgentDirectory
    let references: ConversationReferences

    public init(store: any CannedResponseStore, directory: AgentDirectory, references: ConversationReferences) {
        self.store = store
        self.directory = directory
        self.references = references
    }

    public func reply(
        _ shortcut: String, for facts: ConversationFacts, context: @escaping @Sendable () async -> [String: JSONValue]
    ) async throws -> CannedReplyText {
        let state = facts.state
        let all = try await store.cannedResponses(for: CannedResponseAudience(agent: "", teams: [], allTeams: true))
            .filter { $0.shortcut == shortcut }
        let team = state.team.map { CannedResponseScope.team($0) }
        guard let saved = all.first(where: { $0.scope == team }) ?? all.first(where: { $0.scope == .everyone }) else { return .unknown }
        let owner = state.owner.flatMap { directory[$0] }
        let rendered = CannedResponseRenderer.render(
            saved.body,
            RenderContext(
                customerName: facts.customerName, reference: references.format(state.id), ownerName: owner?.name,
                agentName: state.assignee.flatMap { directory[$0]?.name } ?? owner?.name ?? "",
                due: state.firstResponseDue ?? state.resolutionDue ?? state.callbackDue,
                timeZone: owner?.schedule.timeZone ?? .gmt,
                context: saved.body.contains("{context.") ? await context() : [:]), language: saved.language)
        // Uses are agents' insertions (a rule's dry run or a declined firing would count too).
        return rendered.missing.isEmpty ? .text(rendered.text) : .unfilled(rendered.missing)
    }
}
