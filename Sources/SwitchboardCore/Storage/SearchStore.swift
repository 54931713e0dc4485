import Foundation

/// The full-text index of messages (bodies and e-mail subjects) and of conversations (the
/// customer's name and addresses, the tags). The SQL engines keep it with triggers, so a message
/// is searchable in the same transaction that stores it and no indexer can fall behind.
public protocol SearchStore: Sendable {
    /// Messages (inbound, replies, notes) containing every term, newest (highest id) first, only
    /// in conversations `query.viewer` may read, at most `query.limit`.
    func searchMessages(_ query: SearchQuery) async throws -> [SearchHit]
    /// Conversations whose customer (name, addresses) or tags contain every term, highest id first.
    func searchConversations(_ query: SearchQuery) async throws -> [SearchHit]
    /// Takes a conversation out of the index, its messages and its customer's card, in one call
    /// (the erasure of a customer). What is stored later is indexed again.
    func forgetSearch(conversation: Int64) async throws
    /// The same for every conversation of a customer.
    func forgetSearch(customer: Int64) async throws
}

/// What to look for, and where.
public struct SearchQuery: Sendable, Equatable {
    /// Every term must match (at least one).
    public var terms: [SearchTerm]
    public var viewer: Viewer
    /// nil: any status (merged conversations never match).
    public var status: ConversationStatus?
    /// Messages through this adapter; customers with an address first seen on it.
    public var adapter: String?
    /// Only conversations with this tag.
    public var tag: String?
    /// Messages created at or after `since` and before `until`; conversations active in between.
    public var since: Date?
    public var until: Date?
    /// Only ids below this one (the page before ended there).
    public var before: Int64?
    public var limit: Int

    public init(
        terms: [SearchTerm], viewer: Viewer, status: ConversationStatus? = nil, adapter: String? = nil, tag: String? = nil,
        since: Date? = nil, until: Date? = nil, before: Int64? = nil, limit: Int = 20
    ) {
        self.terms = terms
        self.viewer = viewer
        self.status = status
        self.adapter = adapter
        self.tag = tag
        self.since = since
        self.until = until
        self.before = before
        self.limit = limit
    }
}

/// One thing found: a message, or a conversation found by its customer or tags.
public struct SearchHit: Sendable, Equatable {
    public enum Kind: String, Sendable { case message, conversation }
    public var kind: Kind
    public var conversation: Int64
    /// The message (kind `message`).
    public var message: Int64?
    public var customer: CustomerRef
    /// The message's time; a conversation's latest activity.
    public var createdAt: Date
    public var status: ConversationStatus
    /// Of a message: its body, direction, adapter and e-mail subject.
    public var body: String?
    public var direction: MessageDirection?
    public var adapter: String?
    public var subject: String?
    /// Of a conversation: the customer's addresses and the tags.
    public var addresses: [String]
    public var tags: [String]

    public init(
        kind: Kind, conversation: Int64, message: Int64? = nil, customer: CustomerRef, createdAt: Date, status: ConversationStatus,
        body: String? = nil, direction: MessageDirection? = nil, adapter: String? = nil, subject: String? = nil,
        addresses: [String] = [], tags: [String] = []
    ) {
        self.kind = kind
        self.conversation = conversation
        self.message = message
        self.customer = customer
        self.createdAt = createdAt
        self.status = status
        self.body = body
        self.direction = direction
        self.adapter = adapter
        self.subject = subject
        self.addresses = addresses
        self.tags = tags
    }

    /// The id paging counts by: the message's, or the conversation's.
    public var pagingID: Int64 { message ?? conversation }
}
