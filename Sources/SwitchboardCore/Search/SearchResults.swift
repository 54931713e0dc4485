import Foundation

/// What an agent asks search for (`GET /api/v1/search`).
public struct SearchRequest: Sendable, Equatable {
    public enum Order: String, Sendable, CaseIterable {
        /// Customers and tags first, then messages, each newest first.
        case newest
        /// The best matches among the most recent ones first (see ``SearchRanking``).
        case relevance
    }

    public var text: String
    public var status: ConversationStatus?
    public var adapter: String?
    public var tag: String?
    public var since: Date?
    public var until: Date?
    public var limit: Int
    /// Where the previous page ended (``SearchPage/nextCursor``).
    public var cursor: String?
    public var order: Order

    public init(
        text: String, status: ConversationStatus? = nil, adapter: String? = nil, tag: String? = nil, since: Date? = nil,
        until: Date? = nil, limit: Int = 20, cursor: String? = nil, order: Order = .newest
    ) {
        self.text = text
        self.status = status
        self.adapter = adapter
        self.tag = tag
        self.since = since
        self.until = until
        self.limit = limit
        self.cursor = cursor
        self.order = order
    }
}

/// One result: where it is, a highlighted passage, and whose it is.
public struct SearchResult: Sendable, Codable, Equatable {
    /// What matched: a message (body or e-mail subject), the customer (name, address) or a tag,
    /// or the conversation's reference.
    public enum Matched: String, Sendable, Codable { case message, customer, reference }

    public var conversation: Int64
    /// The message to open in the thread (absent when the customer or reference matched).
    public var message: Int64?
    public var snippet: [SnippetPart]
    public var createdAt: Date
    public var customer: CustomerRef
    public var reference: String
    public var status: ConversationStatus
    public var matched: Matched
    public var direction: MessageDirection?
    public var adapter: String?

    enum CodingKeys: String, CodingKey {
        case conversation, message, snippet, customer, reference, status, matched, direction, adapter
        case createdAt = "created_at"
    }
}

/// One page of results.
public struct SearchPage: Sendable, Codable, Equatable {
    public var results: [SearchResult]
    /// Pass as `cursor` for the next page; absent on the last one.
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case results
        case nextCursor = "next_cursor"
    }
}

/// Where a page ends: in the conversations found by customer or tag, in the messages (both newest
/// first, by id), or at a position of the relevance order. Opaque to clients.
enum SearchCursor: Equatable {
    case conversations(before: Int64)
    case messages(before: Int64)
    case ranked(offset: Int)

    init?(_ text: String) {
        guard let kind = text.first, let number = Int64(text.dropFirst()), number >= 0 else { return nil }
        switch kind {
        case "c": self = .conversations(before: number)
        case "m": self = .messages(before: number)
        case "r" where number <= 10_000: self = .ranked(offset: Int(number))
        default: return nil
        }
    }

    var text: String {
        switch self {
        case .conversations(let id): "c\(id)"
        case .messages(let id): "m\(id)"
        case .ranked(let offset): "r\(offset)"
        }
    }
}
