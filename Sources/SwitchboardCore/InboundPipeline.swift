import Foundation
import Logging
import Metrics
import SwitchboardAdapterAPI

/// What the gateway answers a channel.
public enum InboundReply: Sendable, Equatable {
    /// Everything in the request is durably stored (or was already), but for the records a batch
    /// adapter left out (`skipped`, each with its line and reason).
    case accepted(stored: [Int64], duplicates: [Int64], ignored: Int, skipped: [SkippedRecord] = [])
    /// The adapter's own answer (a handshake).
    case respond(status: Int, contentType: String, body: [UInt8])
}

/// The inbound pipeline: an adapter verifies and decodes, then each message is identified,
/// threaded, assigned and persisted (by the store, in one group-committed transaction), and the
/// agents concerned are notified.
public struct InboundPipeline: Sendable {
    public let adapters: AdapterRegistry
    private let committer: GroupCommitter
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// Made once: looking a metric up by label and dimensions on every message costs measurable CPU.
    private let counters: [String: (stored: Counter, duplicate: Counter)]

    public init(adapters: AdapterRegistry, committer: GroupCommitter, now: @escaping @Sendable () -> Date = Date.init, logger: Logger) {
        self.adapters = adapters
        self.committer = committer
        self.now = now
        self.logger = logger
        self.counters = Dictionary(uniqueKeysWithValues: adapters.ids.map { id in
            (id, (Counter(label: "switchboard_inbound_messages_total", dimensions: [("adapter", id), ("result", "stored")]),
                  Counter(label: "switchboard_inbound_messages_total", dimensions: [("adapter", id), ("result", "duplicate")])))
        })
    }

    /// Handles one request to `/hooks/{adapter}`. Throws ``ServiceError`` (unknown adapter,
    /// storage unavailable) or the adapter's ``InboundError``.
    public func receive(adapter id: String, request: InboundRequest) async throws -> InboundReply {
        guard let entry = adapters[id] else { throw ServiceError.notFound("adapter '\(id)'") }
        let result: InboundResult
        var skipped: [SkippedRecord] = []
        do {
            if let batchAdapter = entry.adapter as? any RecordBatchAdapter {
                // One bad record (a CDR row) must not cost the good ones: store these, report those.
                let batch = try await batchAdapter.receiveRecords(request)
                skipped = batch.skipped
                result = .events(batch.events)
            } else {
                result = try await entry.adapter.receive(request)
            }
        } catch let error as InboundError {
            Counter(label: "switchboard_inbound_rejected_total", dimensions: [("adapter", id), ("reason", error.code)]).increment()
            logger.info("inbound refused", metadata: ["adapter": "\(id)", "status": "\(error.status)", "reason": "\(error.reason)"])
            throw error
        }
        switch result {
        case .respond(let status, let contentType, let body):
            return .respond(status: status, contentType: contentType, body: body)
        case .events(let events):
            let outcomes = try await ingest(events, adapter: id)
            var stored: [Int64] = [], duplicates: [Int64] = [], ignored = 0
            for outcome in outcomes {
                switch outcome.kind {
                case .stored: stored.append(outcome.messageID ?? 0)
                case .duplicate: duplicates.append(outcome.messageID ?? 0)
                case .edited: stored.append(outcome.messageID ?? 0)
                case .deliveryUpdated, .ignored: ignored += 1
                }
            }
            return .accepted(stored: stored, duplicates: duplicates, ignored: ignored, skipped: skipped)
        }
    }
}

extension InboundPipeline: InboundSink {
    /// Stores events an adapter found by itself (polling, an external process); returns once they
    /// are committed.
    public func store(_ events: [InboundEvent], adapter: String) async throws -> [IngestAcknowledgement] {
        try await ingest(events, adapter: adapter).map { outcome in
            switch outcome.kind {
            case .stored, .edited: .stored(messageID: outcome.messageID ?? 0)
            case .duplicate: .duplicate(messageID: outcome.messageID ?? 0)
            case .deliveryUpdated, .ignored: .ignored
            }
        }
    }

    /// Every inbound path (hooks, background adapters) stores and is counted here.
    func ingest(_ events: [InboundEvent], adapter: String) async throws -> [IngestOutcome] {
        let received = now()
        let outcomes = try await committer.submit(events.map { IngestItem(adapter: adapter, event: $0, receivedAt: received) })
        if let counter = counters[adapter] {
            let stored = outcomes.count { $0.kind == .stored || $0.kind == .edited }
            let duplicates = outcomes.count { $0.kind == .duplicate }
            if stored > 0 { counter.stored.increment(by: stored) }
            if duplicates > 0 { counter.duplicate.increment(by: duplicates) }
        }
        return outcomes
    }
}
