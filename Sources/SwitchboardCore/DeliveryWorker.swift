import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SwitchboardAdapterAPI
import Synchronization

/// Drains the durable outbox: claims due replies, delivers each through its adapter, and records
/// the result — delivered, retried later with exponential backoff, or dead-lettered as `failed`.
/// A slow channel never holds up another: deliveries run concurrently up to a limit.
public final class DeliveryWorker: Service, Sendable {
    private struct Signal {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let store: any OutboxStore & ConversationStore & AttachmentStore & UploadStore
    private let registry: Mutex<AdapterRegistry>
    private let events: EventBus
    private let settings: DeliverySettings
    /// Makes each reply's reference and unguessable tag.
    private let key: GatewayKey
    private let claimer: String
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let signal = Mutex(Signal())
    private let limiter = RateLimiter()
    private let inFlight = Mutex(0)
    /// Signed URLs of reply attachments, for platforms that fetch media themselves (nil: none made).
    public let links: MediaLinks?

    public init(
        store: any OutboxStore & ConversationStore & AttachmentStore & UploadStore, adapters: AdapterRegistry, events: EventBus,
        settings: DeliverySettings, key: GatewayKey,
        claimer: String = "gateway-\(ProcessInfo.processInfo.processIdentifier)",
        now: @escaping @Sendable () -> Date = Date.init, links: MediaLinks? = nil, logger: Logger
    ) {
        self.links = links
        self.key = key
        self.store = store
        self.registry = Mutex(adapters)
        self.events = events
        self.settings = settings
        self.claimer = claimer
        self.now = now
        self.logger = logger
    }

    /// Tells the worker new work is queued.
    public func wake() {
        let waiter = signal.withLock { s in
            defer { s.waiter = nil }
            if s.waiter == nil { s.pending = true }
            return s.waiter
        }
        waiter?.resume()
    }

    public func run() async throws {
        // Claims left by an earlier run of this process are ours to redo (same idempotency keys).
        try await store.releaseClaims(claimer: claimer)
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let free = settings.concurrency - inFlight.withLock { $0 }
                    var claimed: [OutboxItem] = []
                    if free > 0 {
                        do {
                            let t = now()
                            claimed = try await store.claimDeliveries(
                                now: t, limit: free, claimer: claimer, leaseUntil: t.addingTimeInterval(settings.lease.seconds))
                        } catch {
                            logger.warning("outbox claim failed", metadata: ["error": "\(error)"])
                        }
                    }
                    inFlight.withLock { $0 += claimed.count }
                    for item in claimed {
                        group.addTask {
                            await self.deliver(item)
                            self.inFlight.withLock { $0 -= 1 }
                            self.wake()
                        }
                    }
                    // A full batch means more may be due: claim again at once.
                    if claimed.isEmpty || claimed.count < free { await waitForWork() }
                }
            } onGracefulShutdown: {
                self.wake()
            }
            // Graceful shutdown: deliveries in flight finish and record their result before we return.
        }
    }

    /// Sleeps until woken (new reply, finished delivery, shutdown) or the next delivery is due.
    private func waitForWork() async {
        var timeout: TimeInterval = 1
        if let due = try? await store.nextDeliveryDue() {
            timeout = min(1, max(0.002, due.timeIntervalSince(now())))
        }
        let sleep = Duration.milliseconds(Int(timeout * 1000))
        await withTaskGroup(of: Void.self) { waits in
            waits.addTask {
                try? await Task.sleep(for: sleep)
                self.wake()
            }
            waits.addTask {
                await withCheckedContinuation { c in
                    let already = self.signal.withLock { s in
                        if s.pending {
                            s.pending = false
                            return true
                        }
                        s.waiter = c
                        return false
                    }
                    if already { c.resume() }
                }
            }
            await waits.next()
            waits.cancelAll()
            // Whichever side lost still waits: release it, then forget the extra signal.
            self.wake()
            await waits.waitForAll()
            self.signal.withLock { $0.pending = false }
        }
    }

    private func deliver(_ item: OutboxItem) async {
        let started = now()
        let result: DeliveryAttemptResult
        if let entry = registry.withLock({ $0[item.adapter] }) {
            let caps = entry.adapter.capabilities
            var wait: TimeInterval = 0
            if let rate = caps.ratePerSecond { wait = max(wait, limiter.reserve(item.adapter, rate: rate, now: started)) }
            if let rate = caps.ratePerRecipientPerSecond {
                wait = max(wait, limiter.reserve("\(item.adapter)\u{0}\(item.address)", rate: rate, now: started))
            }
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            result = await attempt(item, on: entry.adapter)
        } else {
            result = .failed(error: "adapter '\(item.adapter)' is no longer configured")
        }
        Counter(label: "switchboard_deliveries_total", dimensions: [("adapter", item.adapter), ("result", result.label)]).increment()
        do {
            guard let message = try await store.completeDelivery(message: item.messageID, result: result, at: now()),
                let access = try await store.access(conversation: item.conversationID)
            else { return }
            events.publish(.deliveryUpdated(message), conversation: access)
        } catch {
            // The claim's lease runs out and the reply is attempted again with the same idempotency key.
            logger.error("could not record delivery result", metadata: ["message": "\(item.messageID)", "error": "\(error)"])
        }
    }

    private func attempt(_ item: OutboxItem, on adapter: any ChannelAdapter) async -> DeliveryAttemptResult {
        let failures = item.attempts + 1
        do {
            let store = self.store
            let message = item.messageID
            let outbound = OutboundMessage(
                id: item.messageID, conversationID: item.conversationID, to: item.address, threadRef: item.threadRef,
                text: item.body, inReplyTo: item.inReplyToExternalID, attempt: item.attempts, quoted: item.quoted,
                reference: key.references.format(item.conversationID), customerName: item.customerName,
                inReplyToMetadata: item.inReplyToMetadata, purpose: item.purpose, tag: key.messageTag(item.messageID),
                attachments: try await files(of: item), template: TemplateReply(metadata: item.metadata),
                rememberMedia: { index, platformID in
                    try? await store.recordOutboundMediaID(message: message, index: index, platformID: platformID)
                })
            return .delivered(try await adapter.deliver(outbound))
        } catch let failure as DeliveryFailure {
            if failure.permanent || failures >= settings.maxAttempts { return .failed(error: failure.reason) }
            var wait = settings.backoff(afterFailures: failures)
            if let after = failure.retryAfter { wait = max(wait, after.seconds) }
            logger.info(
                "delivery will be retried", metadata: ["message": "\(item.messageID)", "attempt": "\(failures)", "error": "\(failure.reason)"])
            return .retry(error: failure.reason, retryAt: now().addingTimeInterval(wait))
        } catch {
            let reason = "\(error)"
            if failures >= settings.maxAttempts { return .failed(error: reason) }
            return .retry(error: reason, retryAt: now().addingTimeInterval(settings.backoff(afterFailures: failures)))
        }
    }
}

extension DeliveryWorker {
    /// The metadata key of a reply with files (their count): only such replies' files are read.
    public static let filesKey = "files"

    /// The reply's files with their bytes, what earlier attempts uploaded, and their signed URLs.
    /// A file whose bytes are gone (erased) fails the reply for good: it would go out without it.
    func files(of item: OutboxItem) async throws -> [OutboundAttachment] {
        guard item.metadata[Self.filesKey] != nil else { return [] }
        var files: [OutboundAttachment] = []
        while let stored = try await store.attachment(message: item.messageID, index: files.count) {
            guard let content = stored.content else {
                throw DeliveryFailure("the file '\(stored.attachment.fileName ?? "attachment")' is no longer stored", permanent: true)
            }
            let index = files.count
            files.append(
                OutboundAttachment(
                    index: index, kind: stored.attachment.kind, fileName: stored.attachment.fileName ?? "attachment-\(index)",
                    mimeType: stored.attachment.mimeType ?? "application/octet-stream", content: content,
                    link: links?.url(message: item.messageID, index: index, now: now())))
        }
        guard !files.isEmpty else { return [] }
        let media = try await store.outboundMediaIDs(message: item.messageID)
        for i in files.indices { files[i].platformMediaID = media[i] }
        return files
    }
}

extension DeliveryAttemptResult {
    var label: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .failed: "failed"
        }
    }
}
