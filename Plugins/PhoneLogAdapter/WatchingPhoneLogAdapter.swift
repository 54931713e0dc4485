import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// A `phone-log` adapter with `watch:` — the gateway tails the PBX's CDR file itself, on the
/// elected gateway of a cluster, through the same decoding as rows posted to the hook (which keeps
/// working). A gateway that starts tailing reads the file from the top: calls already stored are
/// recognised by their id and not stored again; after that it reads only what is appended.
public struct WatchingPhoneLogAdapter: RecordBatchAdapter, BackgroundChannelAdapter {
    public let base: PhoneLogAdapter
    public let watch: PhoneLogSettings.CDRWatch
    /// Why the file cannot be read now; shared by the copies of this value.
    private let problem = Shared()
    private let logger: Logger
    /// Calls handed to the store at once, so a year of history goes in bounded transactions.
    static let storeBatch = 500

    public init(base: PhoneLogAdapter, watch: PhoneLogSettings.CDRWatch, logger: Logger = Logger(label: "phone-log")) {
        self.base = base
        self.watch = watch
        self.logger = logger
    }

    public var id: String { base.id }
    public var capabilities: AdapterCapabilities { base.capabilities }
    public var identityChannel: String? { base.identityChannel }
    /// Degraded while the watched file cannot be read, with the reason.
    public var state: AdapterState { problem.value.withLock { $0 }.map(AdapterState.degraded) ?? .running }

    public func refusal(for reply: ReplyContext) -> String? { base.refusal(for: reply) }
    public func receive(_ request: InboundRequest) async throws -> InboundResult { try await base.receive(request) }
    public func receiveRecords(_ request: InboundRequest) async throws -> InboundBatch { try await base.receiveRecords(request) }
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt { try await base.deliver(message) }

    /// Tails the file until cancelled. An unreadable file (not there yet, no permission) degrades
    /// the adapter and is tried again every `poll`; a store that fails throws, and the runner
    /// starts again (from the top of the file) after its backoff.
    public func run(sink: any InboundSink) async throws {
        var follower = CDRFileFollower(path: watch.path, decoder: base.settings.cdr)
        defer { problem.value.withLock { $0 = nil } }
        while true {
            try Task.checkCancellation()
            while let chunk = try readNext(&follower) {
                try await store(chunk, sink: sink)
                try Task.checkCancellation()
            }
            try await Task.sleep(for: watch.poll)
        }
    }

    private func readNext(_ follower: inout CDRFileFollower) throws -> CDRFileFollower.Chunk? {
        do {
            let chunk = try follower.read()
            if problem.value.withLock({ $0 }) != nil {
                logger.notice("reading the CDR file again", metadata: ["adapter": "\(id)", "file": "\(watch.path)"])
                problem.value.withLock { $0 = nil }
            }
            return chunk
        } catch {
            let reason = "cannot read \(watch.path): \((error as NSError).localizedDescription)"
            let first = problem.value.withLock { old in
                defer { old = reason }
                return old != reason
            }
            if first { logger.warning("watched CDR file unreadable; trying again", metadata: ["adapter": "\(id)", "reason": "\(reason)"]) }
            return nil
        }
    }

    private func store(_ chunk: CDRFileFollower.Chunk, sink: any InboundSink) async throws {
        if chunk.startedOver {
            logger.notice("CDR file truncated or rotated: reading it from the top", metadata: ["adapter": "\(id)", "file": "\(watch.path)"])
        }
        let batch = base.decodeCDR(chunk.body)
        var stored = 0
        for start in stride(from: 0, to: batch.events.count, by: Self.storeBatch) {
            let slice = Array(batch.events[start..<min(start + Self.storeBatch, batch.events.count)])
            stored += try await sink.store(slice, adapter: id).count { if case .stored = $0 { true } else { false } }
        }
        if stored > 0 {
            logger.info("calls read from the CDR file", metadata: ["adapter": "\(id)", "stored": "\(stored)"])
        }
        let rejected = batch.rejected
        if !rejected.isEmpty {
            // Decoded lines count from the header row when it is put back in front.
            let shift = chunk.firstLine - 1 - (chunk.header == nil ? 0 : 1)
            let lines = rejected.prefix(5).map { record in
                "\(watch.path):\(record.line.map { String($0 + shift) } ?? "?"): \(record.reason)"
            }
            logger.warning(
                "CDR rows rejected",
                metadata: [
                    "adapter": "\(id)", "rejected": "\(rejected.count)", "first": "\(lines.joined(separator: "; "))",
                ])
        }
    }
}

extension WatchingPhoneLogAdapter {
    final class Shared: Sendable {
        let value = Mutex<String?>(nil)
    }
}
