import Foundation

/// An event waiting for one consumer (the rules, or one webhook endpoint) in the durable
/// automation queue: written in the transaction that caused it (ingestion) or right after the
/// commit, taken in order per conversation, retried with backoff, kept as a dead letter when it fails.
public struct QueuedEvent: Sendable, Equatable {
    /// ``AutomationConsumer``'s name: `rules` or `webhook:<id>`.
    public var consumer: String
    public var conversationID: Int64
    /// The event's wire name (`message.created`).
    public var type: String
    /// The event's JSON payload, as the live stream carries it.
    public var payload: String
    /// The rule whose action caused the event (`rule.id`), so that it never triggers that rule again.
    public var cause: String?
    public var createdAt: Date
    /// When it may be taken first (later than `createdAt` to give the rules the first word).
    public var notBefore: Date

    public init(consumer: String, conversationID: Int64, type: String, payload: String, cause: String?, createdAt: Date, notBefore: Date? = nil) {
        self.consumer = consumer
        self.conversationID = conversationID
        self.type = type
        self.payload = payload
        self.cause = cause
        self.createdAt = createdAt
        self.notBefore = notBefore ?? createdAt
    }
}

/// Where a queued event is.
public enum QueueState: String, Sendable, Codable, CaseIterable {
    case queued, delivered, failed
}

/// One queued event as stored.
public struct QueuedItem: Sendable, Equatable, Codable {
    public var id: Int64
    public var consumer: String
    public var conversationID: Int64
    public var type: String
    public var payload: String
    public var cause: String?
    public var state: QueueState
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var doneAt: Date?

    public init(
        id: Int64, consumer: String, conversationID: Int64, type: String, payload: String, cause: String?, state: QueueState, attempts: Int,
        lastError: String?, createdAt: Date, nextAttemptAt: Date, doneAt: Date?
    ) {
        self.id = id
        self.consumer = consumer
        self.conversationID = conversationID
        self.type = type
        self.payload = payload
        self.cause = cause
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.doneAt = doneAt
    }
}

/// How handling one queued event ended.
public enum QueueResult: Sendable, Equatable {
    /// Done: kept as `delivered` (for the listing) or, with `keep: false`, removed.
    case done(keep: Bool)
    /// Try again at `at`; the events after it in its conversation wait.
    case retry(error: String, at: Date)
    /// Given up: kept as `failed` (a dead letter, replayable); the conversation's later events go on.
    case failed(error: String)
}

/// How handling one claimed event ended (see ``AutomationQueueStore/completeQueued(_:at:)``).
public struct QueueCompletion: Sendable, Equatable {
    public var id: Int64
    public var result: QueueResult

    public init(id: Int64, result: QueueResult) {
        self.id = id
        self.result = result
    }
}

extension AutomationQueueStore {
    /// Records how handling one claimed event ended.
    public func completeQueued(id: Int64, result: QueueResult, at: Date) async throws {
        try await completeQueued([QueueCompletion(id: id, result: result)], at: at)
    }
}

/// Queued events given up on because they waited too long, and the error they are recorded with:
/// `prefix` followed by their last error, or `neverAttempted` when there was none (worded here, not
/// in the engines).
public struct QueueExpiry: Sendable, Equatable {
    public var before: Date
    public var prefix: String
    public var neverAttempted: String

    public init(before: Date, prefix: String = "not delivered in time: ", neverAttempted: String = "never attempted") {
        self.before = before
        self.prefix = prefix
        self.neverAttempted = neverAttempted
    }
}

/// The consumers of the automation queue.
public enum AutomationConsumer {
    public static let rules = "rules"

    public static func webhook(_ id: String) -> String { "webhook:\(id)" }
}

/// One firing of a rule on a conversation, as ``RuleStore/applyRule(_:conversation:_:)`` records it.
public struct RuleFiring: Sendable, Equatable {
    public var rule: String
    /// What makes it this firing: the queued event it answers (`e:<id>`), or a scheduled period.
    public var key: String
    public var at: Date
    /// Firings on the conversation since then are counted for the per-conversation limit.
    public var recentSince: Date
    /// When set, any firing of the rule on the conversation since then counts as this one (a
    /// scheduled rule acts once until something new is written in the thread).
    public var onceSince: Date?

    public init(rule: String, key: String, at: Date, recentSince: Date, onceSince: Date? = nil) {
        self.rule = rule
        self.key = key
        self.at = at
        self.recentSince = recentSince
        self.onceSince = onceSince
    }
}

/// What became of a rule's firing.
public enum RuleApplication: Sendable, Equatable {
    /// This firing was made before: nothing changed.
    case alreadyFired
    /// The plan decided nothing (`firedRecently`: the conversation's recent firings).
    case declined(firedRecently: Int)
    case applied(AppliedPlan)
}

/// Tags a plan adds, and who added them.
public struct TagAddition: Sendable, Equatable {
    public var tags: [String]
    public var by: String

    public init(tags: [String], by: String) {
        self.tags = tags
        self.by = by
    }
}
