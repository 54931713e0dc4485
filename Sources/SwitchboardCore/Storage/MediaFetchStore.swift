import Foundation
import SwitchboardAdapterAPI

/// One inbound message whose attachments wait for their content (``Attachment/isFetching``). The
/// store writes the job in the transaction that stores the message, so a restart never loses it.
public struct MediaFetchJob: Sendable, Equatable {
    public var message: Int64
    public var adapter: String
    /// Failed attempts so far.
    public var attempts: Int
    public var dueAt: Date
    public var lastError: String?
    /// The message's attachments as they are stored now.
    public var attachments: [Attachment]

    public init(message: Int64, adapter: String, attempts: Int, dueAt: Date, lastError: String?, attachments: [Attachment]) {
        self.message = message
        self.adapter = adapter
        self.attempts = attempts
        self.dueAt = dueAt
        self.lastError = lastError
        self.attachments = attachments
    }
}

/// What one attempt at a ``MediaFetchJob`` decided (``MediaFetchPlanner``).
public struct MediaFetchResult: Sendable, Equatable {
    public var message: Int64
    /// Attachments, by index, that are settled now: carrying the fetched ``Attachment/content`` to
    /// keep, or failed with the reason.
    public var settled: [Int: Attachment]
    /// When to try again those still fetching; nil: the job is done.
    public var retryAt: Date?
    /// Failed attempts so far, with this one.
    public var attempts: Int
    public var error: String?

    public init(message: Int64, settled: [Int: Attachment], retryAt: Date?, attempts: Int, error: String?) {
        self.message = message
        self.settled = settled
        self.retryAt = retryAt
        self.attempts = attempts
        self.error = error
    }
}

/// The durable media-fetch jobs (written by ingestion, see ``MediaFetchJob``).
public protocol MediaFetchStore: Sendable {
    /// Jobs due at `now`, the earliest first.
    func dueMediaFetches(now: Date, limit: Int) async throws -> [MediaFetchJob]
    /// When the next job comes due; nil when none waits.
    func nextMediaFetchDue() async throws -> Date?
    /// Records an attempt in one transaction: keeps the content of each settled attachment that is
    /// still fetching (once per distinct content, like ingestion), writes the message's attachments,
    /// and reschedules or removes the job. Returns the message as it is now with its conversation;
    /// nil when the message is gone (the job is removed).
    func recordMediaFetch(_ result: MediaFetchResult, at: Date) async throws -> (message: MessageRecord, access: ConversationAccess)?
}
