import Foundation

/// One page of a conversation's thread: the newest `limit` messages (notes and events included,
/// in the thread's order: `created_at`, then id) older than message `before`, or than the end.
public struct MessagePage: Sendable, Equatable {
    /// The page size when the caller names none, and the largest it may ask for.
    public static let defaultLimit = 50
    public static let maxLimit = 200

    public var limit: Int
    /// A message of the conversation (the previous page's ``ConversationDetail/nextBefore``).
    public var before: Int64?

    public init(limit: Int = MessagePage.defaultLimit, before: Int64? = nil) {
        self.limit = limit
        self.before = before
    }
}
