import Foundation
import SwitchboardAdapterAPI

/// Where a retention pass is in its scan: the last message it looked at (oldest first).
public struct RetentionCursor: Sendable, Equatable {
    public var createdAt: Date
    public var id: Int64

    public init(createdAt: Date, id: Int64) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// One batch a retention pass asks an engine for.
public struct RetentionQuery: Sendable, Equatable {
    public enum Kind: String, Sendable { case messages, attachments }
    public var kind: Kind
    /// Messages: only those of this adapter (nil: notes and events, which have none). Attachments:
    /// every adapter (the planner applies each adapter's rule).
    public var adapter: String?
    /// Only messages created before this.
    public var before: Date
    /// Only messages after this one, in (created_at, id) order.
    public var after: RetentionCursor?
    public var limit: Int

    public init(kind: Kind, adapter: String?, before: Date, after: RetentionCursor?, limit: Int) {
        self.kind = kind
        self.adapter = adapter
        self.before = before
        self.after = after
        self.limit = limit
    }
}

/// A message a retention batch looked at, with its conversation's status.
public struct RetentionCandidate: Sendable, Equatable {
    public var message: RedactionCandidate
    public var conversationStatus: ConversationStatus

    public init(message: RedactionCandidate, conversationStatus: ConversationStatus) {
        self.message = message
        self.conversationStatus = conversationStatus
    }
}

/// What one retention batch changes.
public struct RetentionPlan: Sendable, Equatable {
    public var messages: [MessageRedaction]
    /// References given up per stored content; a content whose count reaches zero is deleted.
    public var releasedContents: [String: Int]

    public init(messages: [MessageRedaction], releasedContents: [String: Int]) {
        self.messages = messages
        self.releasedContents = releasedContents
    }
}

/// What one batch did.
public struct RetentionBatchOutcome: Sendable, Equatable {
    /// How many messages the batch looked at (fewer than the limit: the scan is done).
    public var examined: Int
    /// The last one, where the next batch continues.
    public var cursor: RetentionCursor?
    public var redacted: Int
    public var deletedContents: Int

    public init(examined: Int, cursor: RetentionCursor?, redacted: Int, deletedContents: Int) {
        self.examined = examined
        self.cursor = cursor
        self.redacted = redacted
        self.deletedContents = deletedContents
    }
}

/// Decides what a retention batch removes: only what is older than its rule, and — with
/// `only_resolved` — only from conversations nobody works on.
public enum RetentionPlanner {
    /// What messages redacted by retention are marked with.
    public static let reason = "retention"

    /// Messages whose text and personal data go (`retention.messages`).
    public static func messages(_ candidates: [RetentionCandidate], before cutoff: Date, onlyResolved: Bool) -> RetentionPlan {
        var released: [String: Int] = [:]
        var redactions: [MessageRedaction] = []
        for candidate in candidates where eligible(candidate, before: cutoff, onlyResolved: onlyResolved) {
            for sha in PersonalData.contentReferences(candidate.message.attachments) { released[sha, default: 0] += 1 }
            redactions.append(PersonalData.redact(candidate.message, reason: reason))
        }
        return RetentionPlan(messages: redactions, releasedContents: released)
    }

    /// Attachment contents that go (`retention.attachments`); `cutoff` is each adapter's.
    public static func attachments(
        _ candidates: [RetentionCandidate], cutoff: (String?) -> Date?, onlyResolved: Bool
    ) -> RetentionPlan {
        var released: [String: Int] = [:]
        var redactions: [MessageRedaction] = []
        for candidate in candidates {
            guard let before = cutoff(candidate.message.adapter), eligible(candidate, before: before, onlyResolved: onlyResolved) else { continue }
            let stored = PersonalData.contentReferences(candidate.message.attachments)
            guard !stored.isEmpty else { continue }
            for sha in stored { released[sha, default: 0] += 1 }
            redactions.append(
                MessageRedaction(
                    id: candidate.message.id, metadata: candidate.message.metadata,
                    attachments: candidate.message.attachments?.map { PersonalData.dropContent($0, reason: reason) }, removeText: false))
        }
        return RetentionPlan(messages: redactions, releasedContents: released)
    }

    static func eligible(_ candidate: RetentionCandidate, before cutoff: Date, onlyResolved: Bool) -> Bool {
        let message = candidate.message
        guard message.createdAt < cutoff, !message.redacted, !message.queued else { return false }
        guard onlyResolved else { return true }
        return candidate.conversationStatus == .resolved || candidate.conversationStatus == .merged
    }
}
