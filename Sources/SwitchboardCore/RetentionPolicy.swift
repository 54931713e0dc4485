import Foundation

/// How long what customers sent is kept (`retention:` in the configuration, and per adapter).
public struct RetentionRule: Sendable, Equatable {
    /// Messages older than this lose their content (text, addresses, metadata, attachments); the
    /// rows stay as anonymous records so counts and reports stay true.
    public var messages: Duration?
    /// Attachment contents older than this are removed (the message keeps its text).
    public var attachments: Duration?

    public init(messages: Duration? = nil, attachments: Duration? = nil) {
        self.messages = messages
        self.attachments = attachments
    }

    /// The rule with `fallback`'s value wherever this one sets none.
    public func over(_ fallback: RetentionRule) -> RetentionRule {
        RetentionRule(messages: messages ?? fallback.messages, attachments: attachments ?? fallback.attachments)
    }
}

/// Every retention rule of a deployment.
public struct RetentionPolicy: Sendable, Equatable {
    /// `retention:` itself: for messages of every adapter without its own rule, notes and events.
    public var base: RetentionRule
    /// `adapters[].retention`, by adapter id; unset values fall back to ``base``.
    public var perAdapter: [String: RetentionRule]
    /// Only messages of resolved (or merged) conversations are removed: a conversation someone
    /// still works on keeps its whole history.
    public var onlyResolved: Bool

    public init(base: RetentionRule = RetentionRule(), perAdapter: [String: RetentionRule] = [:], onlyResolved: Bool = true) {
        self.base = base
        self.perAdapter = perAdapter
        self.onlyResolved = onlyResolved
    }

    /// Whether anything is ever removed.
    public var isEmpty: Bool {
        base.messages == nil && base.attachments == nil && perAdapter.values.allSatisfy { $0.messages == nil && $0.attachments == nil }
    }
}
