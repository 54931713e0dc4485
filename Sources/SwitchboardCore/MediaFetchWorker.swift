import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SwitchboardAdapterAPI

/// Fetches the content of media platforms only name, off the ingest path: the message is stored
/// and acknowledged first, with a durable job (``MediaFetchStore``) written in the same
/// transaction. This worker takes due jobs, asks each message's adapter to fetch (its
/// ``MediaFetcher``), and records what came: the content in the attachment store, a permanent
/// failure with its reason, or a retry with exponential backoff (the outbox's `delivery:`
/// schedule). Leader-only, so several gateways on one database fetch once; a job left by a
/// restart is simply due.
public struct MediaFetchWorker: Service {
    private let store: any MediaFetchStore
    private let adapters: AdapterRegistry
    private let events: EventBus
    private let schedule: DeliverySettings
    private let leadership: any Leadership
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let signal = WakeSignal()
    /// The longest wait between looks at the queue (a job written by another gateway is seen then).
    private let idle: Duration

    public init(
        store: any MediaFetchStore, adapters: AdapterRegistry, events: EventBus, schedule: DeliverySettings,
        leadership: any Leadership = SoleLeader(), idle: Duration = .seconds(5), now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.store = store
        self.adapters = adapters
        self.events = events
        self.schedule = schedule
        self.leadership = leadership
        self.idle = idle
        self.now = now
        self.logger = logger
    }

    /// Tells the worker a job was written (ingestion stored a message with media to fetch).
    public func wake() { signal.wake() }

    /// Whether any adapter of this gateway fetches media at all.
    public var isNeeded: Bool { adapters.all.contains { $0.adapter.mediaFetcher != nil } }

    public func run() async throws {
        guard isNeeded else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard leadership.isLeader else {
                    await signal.wait(upTo: .seconds(2))
                    continue
                }
                var wait = idle
                do {
                    let handled = try await tick()
                    if handled == Self.batch { continue }
                    if let next = try await store.nextMediaFetchDue() {
                        let seconds = max(0.05, next.timeIntervalSince(now()))
                        wait = min(idle, .milliseconds(Int64(seconds * 1000)))
                    }
                } catch {
                    logger.warning("media fetch pass failed", metadata: ["error": "\(error)"])
                    wait = .seconds(5)
                }
                await signal.wait(upTo: wait)
            }
        }
    }

    static let batch = 16

    /// Handles every job due now (up to one batch); returns how many were recorded (a full batch
    /// means more may be due; one that could not be recorded is not taken again at once).
    @discardableResult
    public func tick() async throws -> Int {
        let jobs = try await store.dueMediaFetches(now: now(), limit: Self.batch)
        return await withTaskGroup(of: Bool.self) { group in
            for job in jobs { group.addTask { await self.handle(job) } }
            var recorded = 0
            for await done in group where done { recorded += 1 }
            return recorded
        }
    }

    /// Fetches one job's media and records the outcome; false when nothing could be recorded.
    private func handle(_ job: MediaFetchJob) async -> Bool {
        let fetcher = adapters[job.adapter]?.adapter.mediaFetcher
        var outcomes: [Int: Result<FetchedMedia, MediaFetchFailure>] = [:]
        for (index, attachment) in job.attachments.enumerated() where attachment.isFetching {
            guard let fetcher else {
                outcomes[index] = .failure(MediaFetchFailure("adapter '\(job.adapter)' is not configured to fetch media", permanent: true))
                continue
            }
            do {
                outcomes[index] = .success(try await fetcher.fetch(attachment))
            } catch is CancellationError {
                return false
            } catch let failure as MediaFetchFailure {
                outcomes[index] = .failure(failure)
            } catch {
                outcomes[index] = .failure(MediaFetchFailure("\(error)"))
            }
        }
        let limit = fetcher?.maxMediaBytes ?? 0
        let result = MediaFetchPlanner.plan(job, outcomes: outcomes, limit: limit, schedule: schedule, now: now())
        do {
            guard let (message, access) = try await store.recordMediaFetch(result, at: now()) else { return true }
            for attachment in result.settled.values {
                let outcome = attachment.state == Attachment.failedState ? "failed" : "stored"
                Counter(label: "switchboard_media_fetches_total", dimensions: [("adapter", job.adapter), ("result", outcome)]).increment()
                if outcome == "failed" {
                    logger.notice(
                        "media could not be fetched",
                        metadata: ["adapter": "\(job.adapter)", "message": "\(job.message)", "reason": "\(attachment.notStoredReason ?? "")"])
                }
            }
            if let error = result.error, result.retryAt != nil {
                Counter(label: "switchboard_media_fetches_total", dimensions: [("adapter", job.adapter), ("result", "retry")]).increment()
                logger.info(
                    "media fetch will be retried",
                    metadata: ["adapter": "\(job.adapter)", "message": "\(job.message)", "attempts": "\(result.attempts)", "error": "\(error)"])
            }
            // For the agents watching; rules and webhooks see the message when it was stored.
            if !result.settled.isEmpty { events.publish(.attachmentUpdated(message), conversation: access, journal: false) }
            return true
        } catch {
            logger.warning("could not record a media fetch", metadata: ["message": "\(job.message)", "error": "\(error)"])
            return false
        }
    }
}
