import Foundation

/// The latest customer-visible message of a conversation, and since when the customer has waited.
public struct InboxPreview: Sendable, Codable, Equatable {
    public var direction: MessageDirection
    public var adapter: String?
    public var channel: String?
    /// The start of the body (at most 160 characters).
    public var body: String
    public var createdAt: Date
    /// The first customer message not yet answered by an agent (nil when nothing waits).
    public var waitingSince: Date?

    enum CodingKeys: String, CodingKey {
        case direction, adapter, channel, body
        case createdAt = "created_at"
        case waitingSince = "waiting_since"
    }

    public init(direction: MessageDirection, adapter: String?, channel: String?, body: String, createdAt: Date, waitingSince: Date?) {
        self.direction = direction
        self.adapter = adapter
        self.channel = channel
        self.body = body
        self.createdAt = createdAt
        self.waitingSince = waitingSince
    }
}

/// One inbox line: the conversation summary and its latest message.
public struct InboxEntry: Sendable, Codable, Equatable {
    public var conversation: ConversationSummary
    public var last: InboxPreview?
}

/// Reads inbox previews in one go.
public protocol InboxPreviewStore: Sendable {
    func inboxPreviews(conversations: [Int64]) async throws -> [Int64: InboxPreview]
}

extension AgentDesk {
    /// Whose conversations an inbox shows. `everyone` and `escalations` are for supervisors.
    public enum InboxScope: String, Sendable {
        case mine, everyone, escalations, breached
    }

    /// The agent's inbox, most urgent first: the earliest promise (first response or call back)
    /// leads, conversations without one follow by latest activity.
    public func inbox(
        for viewer: Viewer, status: ConversationQuery.StatusFilter, scope: InboxScope, limit: Int
    ) async throws -> [InboxEntry] {
        if scope != .mine, !viewer.isSupervisor {
            throw ServiceError.forbidden("only supervisors see the '\(scope.rawValue)' inbox")
        }
        // A supervisor's store query returns everyone's; "mine" is filtered here, so ask for more.
        let fetch = scope == .mine && viewer.isSupervisor ? 1000 : limit
        var list = try await store.conversations(
            ConversationQuery(
                viewer: viewer, status: status, limit: fetch, escalatedOnly: scope == .escalations, breachedOnly: scope == .breached))
        if scope == .mine {
            list = list.filter { $0.owner == viewer.agentID || $0.assignee == viewer.agentID }
        }
        list.sort(by: Self.moreUrgent)
        list = Array(list.prefix(limit)).map(withReference)
        let previews = try await store.inboxPreviews(conversations: list.map(\.id))
        return list.map { InboxEntry(conversation: $0, last: previews[$0.id]) }
    }

    static func moreUrgent(_ a: ConversationSummary, _ b: ConversationSummary) -> Bool {
        let da = urgency(a)
        let db = urgency(b)
        switch (da, db) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.lastMessageAt > b.lastMessageAt
        }
    }

    private static func urgency(_ c: ConversationSummary) -> Date? {
        guard c.status == .open else { return nil }
        return [c.firstResponseDue, c.callbackDue].compactMap { $0 }.min()
    }
}
