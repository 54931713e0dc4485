import Foundation

/// Notes that mention agents, the mentions, and the read grants they give.
public protocol MentionStore: Sendable {
    /// Writes a note as `plan` decides (it sees the conversation; throws
    /// ``StoreError/missing(_:)`` when there is none) and, in the same transaction, a mention of each
    /// agent it names and their grant to read this conversation (kept once per agent).
    func note(conversation id: Int64, _ plan: @escaping @Sendable (ConversationState) throws -> NotePlan) async throws -> NoteOutcome
    /// `agent`'s mentions, newest first, below id `before`.
    func mentions(of agent: String, before: Int64?, limit: Int) async throws -> [Mention]
    /// Whether `agent` holds a grant to read `conversation`.
    func hasReadGrant(agent: String, conversation: Int64) async throws -> Bool
    /// Every grant, for the live events (read at start).
    func readGrants() async throws -> [ReadGrant]
}
