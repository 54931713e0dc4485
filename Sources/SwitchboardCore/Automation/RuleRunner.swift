import Foundation
import Logging
import ServiceLifecycle
import SwitchboardAdapterAPI

/// Runs the rules on the events queued for them (consumer `rules`), on every gateway: claims under
/// a lease, one event per conversation at a time and in order, several conversations at once.
/// After the rules of a customer's message ran, the acknowledgements it queued are released (or
/// were withheld by a `spam` action). A failing event is retried with backoff, then dead-lettered.
public final class RuleRunner: Service, Sendable {
    private let engine: RuleEngine
    private let queue: any AutomationQueueStore & RuleStore
    private let claimer: String
    private let signal = WakeSignal()
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Events handled at once (each of another conversation).
    private let concurrency: Int
    private let maxAttempts = 5

    public init(
        engine: RuleEngine, queue: any AutomationQueueStore & RuleStore, claimer: String = "gateway-\(ProcessInfo.processInfo.processIdentifier)",
        concurrency: Int = 8, now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.engine = engine
        self.queue = queue
        self.claimer = claimer
        self.concurrency = concurrency
        self.now = now
        self.logger = logger
    }

    /// New events are queued: look now.
    public func wake() { signal.wake() }

    public func run() async throws {
        guard engine.rules.contains(where: { $0.event != nil }) else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let handled = (try? await self.drainOnce()) ?? 0
                if handled < self.concurrency { await self.signal.wait(upTo: .seconds(1)) }
            }
        }
    }

    /// Claims and handles one batch; returns how many events it handled.
    @discardableResult
    public func drainOnce() async throws -> Int {
        let at = now()
        let claimed: [QueuedItem]
        do {
            claimed = try await queue.claimQueued(
                consumer: AutomationConsumer.rules, now: at, limit: concurrency, claimer: claimer, leaseUntil: at.addingTimeInterval(120))
        } catch {
            logger.warning("rules: claiming queued events failed", metadata: ["error": "\(error)"])
            throw error
        }
        // Handled at once (each of another conversation); their outcomes recorded in one commit.
        let completions = await withTaskGroup(of: QueueCompletion.self) { group in
            for item in claimed { group.addTask { await self.handle(item) } }
            return await group.reduce(into: [QueueCompletion]()) { $0.append($1) }
        }
        try await queue.completeQueued(completions, at: now())
        return claimed.count
    }

    private func handle(_ item: QueuedItem) async -> QueueCompletion {
        let job = RuleJob(item)
        do {
            for event in job.events {
                try await engine.run(
                    event, conversation: item.conversationID, message: job.message, cause: item.cause, key: "e:\(item.id):\(event.rawValue)")
            }
            if releasesAcknowledgements(job) {
                try await queue.releaseAcknowledgements(conversation: item.conversationID, at: now())
            }
            return QueueCompletion(id: item.id, result: .done(keep: false))
        } catch {
            let attempts = item.attempts + 1
            let result: QueueResult =
                attempts >= maxAttempts
                ? .failed(error: "\(error)")
                : .retry(error: "\(error)", at: now().addingTimeInterval(Double(1 << min(attempts, 6))))
            logger.warning(
                "rules: an event could not be handled",
                metadata: [
                    "event": "\(item.type)", "conversation": "\(item.conversationID)", "attempt": "\(attempts)", "error": "\(error)",
                ])
            return QueueCompletion(id: item.id, result: result)
        }
    }
}

extension RuleRunner {
    /// Whether the rules of a customer's message are done once this event ran: its `message.created`
    /// comes last of the message's events, so with rules on it, that one; else the request's own event.
    func releasesAcknowledgements(_ job: RuleJob) -> Bool {
        if job.events.contains(.messageCreated) { return true }
        return job.events.contains(where: \.isCustomerMessage) && !engine.rules.contains { $0.event == .messageCreated }
    }
}

/// What a queued event means to the rules: which of their events, and the customer's message.
struct RuleJob {
    var events: [RuleEvent] = []
    var message: Int64?

    init(_ item: QueuedItem) {
        let bytes = Array(item.payload.utf8)
        switch item.type {
        case "conversation.created", "conversation.reopened":
            message = (try? JSONCoding.decode(RequestPayload.self, from: bytes))?.message
            events = item.type == "conversation.created" ? [.conversationCreated] : [.conversationReopened, .statusChanged]
        case "message.created":
            if let record = try? JSONCoding.decode(MessageRecord.self, from: bytes), record.direction == .inbound {
                message = record.id
                events = [.messageCreated]
            }
        case "conversation.assigned": events = [.conversationAssigned]
        case "sla.warning": events = [.slaWarning]
        case "sla.breached": events = [.slaBreached]
        case "conversation.status", "conversation.resolved": events = [.statusChanged]
        default: break
        }
    }
}
