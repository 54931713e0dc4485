import Foundation
import Logging
import Metrics
import SwitchboardAdapterAPI
import Synchronization

/// What the gateway answers a channel.
public enum InboundReply: Sendable, Equatable {
    /// Everything in the request is durably stored (or was already), applied (status reports),
    /// or deliberately not stored with the reason said; but for the records a batch adapter left
    /// out (`skipped`, each with its line and reason).
    case accepted(InboundAcceptance)
    /// The adapter's own answer (a handshake).
    case respond(status: Int, contentType: String, body: [UInt8])
}

/// The content of a 2xx answer to a channel: what became of each thing it sent.
public struct InboundAcceptance: Sendable, Equatable {
    /// Messages stored now (edits included), by id.
    public var stored: [Int64]
    /// Messages stored before (same adapter and external id), by id.
    public var duplicates: [Int64]
    /// Delivery reports that updated one of our replies.
    public var statusUpdates: Int
    /// What was deliberately not stored, counted by reason, in order of first appearance.
    public var ignored: [IgnoredCount]
    /// Records of a batch left out (``SkippedRecord``).
    public var skipped: [SkippedRecord]

    public init(stored: [Int64] = [], duplicates: [Int64] = [], statusUpdates: Int = 0, ignored: [IgnoredCount] = [], skipped: [SkippedRecord] = []) {
        self.stored = stored
        self.duplicates = duplicates
        self.statusUpdates = statusUpdates
        self.ignored = ignored
        self.skipped = skipped
    }

    /// How many things were not stored, whatever the reason.
    public var ignoredTotal: Int { ignored.reduce(0) { $0 + $1.count } }
}

/// How many things of one request were not stored for one reason.
public struct IgnoredCount: Sendable, Equatable {
    public var reason: String
    public var count: Int

    public init(reason: String, count: Int) {
        self.reason = reason
        self.count = count
    }
}

/// The inbound pipeline: an adapter verifies and decodes, then each message is identified,
/// threaded, assigned and persisted (by the store, in one group-committed transaction), and the
/// agents concerned are notified.
///
/// Every path in (hooks, background adapters) goes through ``ingest(_:adapter:)``, where the rules
/// no adapter may break are checked once (``InboundEvent/storageProblem(receivedAt:)``: no NUL,
/// plausible times) and where what is deliberately not stored is counted by reason
/// (`switchboard_inbound_ignored_total{adapter,reason}`): a 2xx never hides a lost message.
public struct InboundPipeline: Sendable {
    public let adapters: AdapterRegistry
    private let committer: GroupCommitter
    let now: @Sendable () -> Date
    let logger: Logger
    /// Made once: looking a metric up by label and dimensions on every message costs measurable CPU.
    private let counters: [String: (stored: Counter, duplicate: Counter)]
    private let ignoredCounters = IgnoredCounters()
    /// Where mailbox-reading adapters keep how far they have read (the gateway's store).
    public var mailboxPositions: (any MailboxPositions)?
    /// Links the other addresses a message names for its sender (``InboundMessage/alsoKnownAs``).
    public var identityJoiner: IdentityJoiner?

    public init(adapters: AdapterRegistry, committer: GroupCommitter, now: @escaping @Sendable () -> Date = Date.init, logger: Logger) {
        self.adapters = adapters
        self.committer = committer
        self.now = now
        self.logger = logger
        self.counters = Dictionary(
            uniqueKeysWithValues: adapters.ids.map { id in
                (
                    id,
                    (
                        Counter(label: "switchboard_inbound_messages_total", dimensions: [("adapter", id), ("result", "stored")]),
                        Counter(label: "switchboard_inbound_messages_total", dimensions: [("adapter", id), ("result", "duplicate")])
                    )
                )
            })
    }

    /// Handles one request to `/hooks/{adapter}`. Throws ``ServiceError`` (unknown adapter,
    /// storage unavailable) or the adapter's ``InboundError`` (also for an event no store can
    /// keep as it stands: 400, nothing of the request stored).
    public func receive(adapter id: String, request: InboundRequest) async throws -> InboundReply {
        guard let entry = adapters[id] else { throw ServiceError.notFound("adapter '\(id)'") }
        let events: [InboundEvent]
        var skipped: [SkippedRecord] = []
        do {
            if let batchAdapter = entry.adapter as? any RecordBatchAdapter {
                // One bad record (a CDR row) must not cost the good ones: store these, report those.
                let batch = try await batchAdapter.receiveRecords(request)
                skipped = batch.skipped
                events = batch.events
            } else {
                switch try await entry.adapter.receive(request) {
                case .respond(let status, let contentType, let body):
                    return .respond(status: status, contentType: contentType, body: body)
                case .events(let decoded):
                    events = decoded
                }
            }
            try checkStorable(events)
        } catch let error as InboundError {
            refused(error, adapter: id)
            throw error
        }
        let outcomes = try await ingest(events, adapter: id)
        if let follower = entry.adapter as? any AfterStoredAdapter { followUp(follower, events: events, outcomes: outcomes, adapter: id) }
        // Counted once the request succeeded: a sender retrying after a 503 is not counted twice.
        for record in skipped { ignoredCounters.count(adapter: id, reason: record.metricCode) }
        return .accepted(acceptance(outcomes, skipped: skipped))
    }

    /// Hands what a hook request stored (now or before) to its adapter to tell the platform, apart
    /// from the hook's answer; a failure there is logged and changes nothing stored.
    func followUp(_ adapter: any AfterStoredAdapter, events: [InboundEvent], outcomes: [EventOutcome], adapter id: String) {
        let stored = zip(events, outcomes).compactMap { event, outcome -> InboundEvent? in
            switch outcome {
            case .stored, .duplicate: event
            case .statusApplied, .ignored: nil
            }
        }
        guard !stored.isEmpty else { return }
        let logger = self.logger
        Task {
            do {
                try await adapter.afterStored(stored)
            } catch {
                logger.warning("could not tell the platform about what was stored", metadata: ["adapter": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Checked before anything is stored: the sender learns which field is wrong, and a platform
    /// that keeps retrying is refused each time instead of losing the message.
    func checkStorable(_ events: [InboundEvent]) throws(InboundError) {
        let received = now()
        for event in events {
            if let problem = event.storageProblem(receivedAt: received) { throw InboundError.malformed(problem.message) }
        }
    }

    /// Counts and logs a refused request.
    func refused(_ error: InboundError, adapter id: String) {
        Counter(label: "switchboard_inbound_rejected_total", dimensions: [("adapter", id), ("reason", error.code)]).increment()
        logger.info("inbound refused", metadata: ["adapter": "\(id)", "status": "\(error.status)", "reason": "\(error.reason)"])
    }

    /// What became of each event, as the sender is told.
    func acceptance(_ outcomes: [EventOutcome], skipped: [SkippedRecord]) -> InboundAcceptance {
        var answer = InboundAcceptance(skipped: skipped)
        var reasons: [String: Int] = [:]
        for outcome in outcomes {
            switch outcome {
            case .stored(let messageID): answer.stored.append(messageID)
            case .duplicate(let messageID): answer.duplicates.append(messageID)
            case .statusApplied: answer.statusUpdates += 1
            case .ignored(let reason):
                if let index = reasons[reason.code] {
                    answer.ignored[index].count += 1
                } else {
                    reasons[reason.code] = answer.ignored.count
                    answer.ignored.append(IgnoredCount(reason: reason.code, count: 1))
                }
            }
        }
        return answer
    }
}

extension InboundPipeline: InboundSink {
    /// Stores events an adapter found by itself (polling, an external process); returns once they
    /// are committed. An event no store can keep as it stands (a NUL, an impossible time) is left
    /// out with its reason counted and logged: refusing the whole batch would stop the adapter on
    /// it forever.
    public func store(_ events: [InboundEvent], adapter: String) async throws -> [IngestAcknowledgement] {
        let received = now()
        let checked = events.map { event -> InboundEvent in
            guard let problem = event.storageProblem(receivedAt: received) else { return event }
            logger.warning("inbound event left out", metadata: ["adapter": "\(adapter)", "reason": "\(problem.message)"])
            return .ignored(reason: IgnoreReason(problem.code))
        }
        return try await ingest(checked, adapter: adapter).map { outcome in
            switch outcome {
            case .stored(let id): .stored(messageID: id)
            case .duplicate(let id): .duplicate(messageID: id)
            case .statusApplied, .ignored: .ignored
            }
        }
    }

    /// A customer's message as it is stored: attachments its adapter can fetch wait for their
    /// content (`fetching`, a job brings it), and a message without text reads as what it carries
    /// (``MessagePlaceholder``), the same on every adapter.
    static func prepared(_ event: InboundEvent, fetcher: (any MediaFetcher)?) -> InboundEvent {
        if case .edit(var message, let editedAt) = event {
            // An edit replaces the text only: its media are not fetched again.
            MessagePlaceholder.apply(to: &message)
            return .edit(message, editedAt: editedAt)
        }
        guard case .message(var message) = event, !message.attachments.isEmpty else { return event }
        if let fetcher {
            message.attachments = message.attachments.map { attachment in
                attachment.content == nil && attachment.stored == nil && fetcher.canFetch(attachment) ? attachment.markedFetching() : attachment
            }
        }
        MessagePlaceholder.apply(to: &message)
        return .message(message)
    }

    /// What became of one event.
    enum EventOutcome {
        case stored(Int64)
        case duplicate(Int64)
        case statusApplied
        case ignored(IgnoreReason)
    }

    /// Every inbound path (hooks, background adapters) stores and is counted here. Ignored events
    /// never reach the store. Outcomes come back in the order of `events`.
    func ingest(_ events: [InboundEvent], adapter: String) async throws -> [EventOutcome] {
        let received = now()
        let fetcher = adapters[adapter]?.adapter.mediaFetcher
        var items: [IngestItem] = []
        for event in events {
            if case .ignored = event { continue }
            items.append(IngestItem(adapter: adapter, event: Self.prepared(event, fetcher: fetcher), receivedAt: received))
        }
        var outcomes = try await committer.submit(items).makeIterator()
        var results: [EventOutcome] = []
        results.reserveCapacity(events.count)
        var stored = 0
        var duplicates = 0
        var joins: [IdentityJoiner.Join] = []
        var itemIndex = 0
        for event in events {
            if case .ignored(let reason) = event {
                results.append(.ignored(reason))
                continue
            }
            guard let outcome = outcomes.next() else { break }
            defer { itemIndex += 1 }
            switch outcome {
            case .stored(let s):
                stored += 1
                results.append(.stored(s.message.id))
                if case .message(let message) = items[itemIndex].event, !message.alsoKnownAs.isEmpty {
                    joins.append(IdentityJoiner.Join(customer: s.customer, conversation: s.conversation, identities: message.alsoKnownAs))
                }
            case .edited(let message, _):
                stored += 1
                results.append(.stored(message.id))
            case .duplicate(let ref):
                duplicates += 1
                results.append(.duplicate(ref.message))
            case .deliveryUpdated:
                results.append(.statusApplied)
            case .ignored(let reason):
                results.append(.ignored(IgnoreReason(reason)))
            }
        }
        if let identityJoiner, !joins.isEmpty { await identityJoiner.join(joins, adapter: adapter) }
        if let counter = counters[adapter] {
            if stored > 0 { counter.stored.increment(by: stored) }
            if duplicates > 0 { counter.duplicate.increment(by: duplicates) }
        }
        for case .ignored(let reason) in results { ignoredCounters.count(adapter: adapter, reason: reason.code) }
        return results
    }
}

/// `switchboard_inbound_ignored_total{adapter,reason}`, each counter made once.
final class IgnoredCounters: Sendable {
    private let made = Mutex<[String: Counter]>([:])

    func count(adapter: String, reason: String) {
        let counter = made.withLock { made in
            let key = adapter + "\u{0}" + reason
            if let counter = made[key] { return counter }
            let counter = Counter(label: "switchboard_inbound_ignored_total", dimensions: [("adapter", adapter), ("reason", reason)])
            made[key] = counter
            return counter
        }
        counter.increment()
    }
}
