import Foundation
import SwitchboardAdapterAPI

/// Internal notes and the mentions in them: `@luis` tells Luis (`mention.created`, the mentions
/// list) and lets him read that conversation (only that one) and answer in a note; replying to the
/// customer and every other change stay with those the conversation belongs to.
extension AgentDesk {
    /// Adds an internal note; every configured agent it mentions is told and may read the conversation.
    public func note(on conversationID: Int64, body: String, by viewer: Viewer) async throws -> MessageRecord {
        let access = try await authorizeRead(conversationID, viewer)
        let text = body.trimmed
        guard !text.isEmpty else { throw ServiceError.badRequest("'body' must not be empty") }
        let mentioned = MentionPlanner.mentioned(in: text, directory: directory, author: viewer.agentID)
        guard !mentioned.isEmpty else {
            let message = try await store.appendInternal(
                conversation: conversationID, direction: .note, author: viewer.agentID, body: text, at: now())
            events.publish(.messageCreated(message), conversation: access)
            return message
        }
        let author = viewer.agentID
        let at = now()
        let outcome = try await store.note(conversation: conversationID) { state in
            MentionPlanner.note(state, body: text, author: author, mentioning: mentioned, at: at)
        }
        let mentionedIDs = mentioned.map(\.id)
        for agent in mentionedIDs { events.addReader(agent, conversation: conversationID) }
        for message in outcome.applied.messages {
            events.publish(.messageCreated(message), conversation: access, alsoNotify: mentionedIDs)
        }
        for var mention in outcome.mentions {
            mention.reference = references.format(conversationID)
            // On the mentioned agent's stream (supervisors, who see every event, get it too).
            let theirs = ConversationAccess(
                id: conversationID, owner: mention.agent, assignee: mention.agent, team: access.team, status: access.status)
            events.publish(.mentionCreated(mention), conversation: theirs)
        }
        return outcome.applied.messages[0]
    }

    /// The caller's mentions, newest first (`before`: an id from the previous page).
    public func mentions(for viewer: Viewer, before: Int64?, limit: Int) async throws -> [Mention] {
        guard (1...200).contains(limit) else { throw ServiceError.badRequest("'limit' must be between 1 and 200") }
        return try await store.mentions(of: viewer.agentID, before: before, limit: limit).map { mention in
            var mention = mention
            mention.reference = references.format(mention.conversation)
            return mention
        }
    }

    /// Tells the live events who may read what because of mentions (at start; later grants are
    /// added as they are made, here and, through the relay, on every gateway).
    public func loadReadGrants() async throws {
        for grant in try await store.readGrants() { events.addReader(grant.agent, conversation: grant.conversation) }
    }
}
