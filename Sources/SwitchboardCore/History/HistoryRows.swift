import Foundation

/// Rows of made-up history, as `switchboard generate-history` writes them straight into the
/// tables (see ``HistoryGenerator``): ids are given, every row refers only to rows of its own or an
/// earlier batch.
public struct HistoryBatch: Sendable {
    public struct Customer: Sendable {
        public var id: Int64
        public var name: String
        public var createdAt: Date
    }

    public struct Identity: Sendable {
        public var id: Int64
        public var customer: Int64
        public var channel: String
        public var address: String
        public var adapter: String
        public var createdAt: Date
    }

    public struct Conversation: Sendable {
        public var id: Int64
        public var customer: Int64
        public var status: ConversationStatus
        public var owner: String?
        public var assignee: String?
        public var team: String?
        public var createdAt: Date
    }

    public struct Message: Sendable {
        public var id: Int64
        public var conversation: Int64
        public var direction: MessageDirection
        public var adapter: String?
        public var channel: String?
        public var address: String?
        /// Inbound messages only (unique per adapter).
        public var externalID: String?
        public var body: String
        public var author: String?
        /// The metadata JSON (an e-mail's subject), if any.
        public var metadata: String?
        public var createdAt: Date
        /// Replies only: `delivered`.
        public var delivered: Bool
        public var identity: Int64?
    }

    public struct Tag: Sendable {
        public var conversation: Int64
        public var tag: String
        public var at: Date
    }

    public var customers: [Customer] = []
    public var identities: [Identity] = []
    public var conversations: [Conversation] = []
    public var messages: [Message] = []
    public var tags: [Tag] = []

    public init() {}

    public var isEmpty: Bool { customers.isEmpty && messages.isEmpty && tags.isEmpty }
}

/// Where a conversation's thread ended, written once every message is in.
public struct HistoryActivity: Sendable {
    public var conversation: Int64
    public var lastMessageAt: Date
    public var inbound: Int
    public var firstInboundAt: Date?

    public init(conversation: Int64, lastMessageAt: Date, inbound: Int, firstInboundAt: Date?) {
        self.conversation = conversation
        self.lastMessageAt = lastMessageAt
        self.inbound = inbound
        self.firstInboundAt = firstInboundAt
    }
}

/// The ids a database already uses, so generated history goes after it.
public struct HistoryStart: Sendable {
    public var customer: Int64
    public var identity: Int64
    public var conversation: Int64
    public var message: Int64

    public init(customer: Int64, identity: Int64, conversation: Int64, message: Int64) {
        self.customer = customer
        self.identity = identity
        self.conversation = conversation
        self.message = message
    }
}

/// What the SQL engines do for `switchboard generate-history`: bulk writes of made-up rows, with
/// the same triggers as everything else (the search index is kept as it would be in service).
public protocol HistoryLoader: Sendable {
    /// The highest ids in use (0 for an empty database).
    func historyStart() async throws -> HistoryStart
    /// Writes one batch in one transaction.
    func loadHistory(_ batch: HistoryBatch) async throws
    /// Records where each thread ended and the customers' contact counts, then brings the agents'
    /// open loads and the id sequences up to date.
    func finishHistory(_ activity: [HistoryActivity]) async throws
}
