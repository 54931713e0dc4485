/// Saved replies as rules reach them (`reply: {canned: id}`). The saved-replies feature provides
/// the implementation; until it is wired in, ``NoCannedReplies`` knows none, and a rule's reply
/// by id is skipped with that reason (a `text:` reply always works).
public protocol CannedReplies: Sendable {
    /// Whether a saved reply with this id exists, for `check-config` (nil: cannot tell before start).
    func knows(_ id: String) -> Bool?
    /// The saved reply's text for this conversation, or nil when there is none. Placeholders it leaves
    /// (`{customer}`, `{reference}`, `{owner}`, `{agent}`) are filled by the rule.
    func text(of id: String, for facts: ConversationFacts) async throws -> String?
}

/// No saved replies (the default until the saved-replies feature provides them).
public struct NoCannedReplies: CannedReplies {
    public init() {}
    public func knows(_ id: String) -> Bool? { nil }
    public func text(of id: String, for facts: ConversationFacts) async throws -> String? { nil }
}
