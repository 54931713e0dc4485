import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SwitchboardAdapterAPI
import Synchronization

/// Posts queued events to the webhook endpoints, on every gateway: one loop per endpoint, each with
/// its own circuit breaker and concurrency, so a dead endpoint never delays another (nor the
/// replies, which have their own outbox). A conversation's events go one at a time, in order; a
/// failure is retried with exponential backoff (`Retry-After` honoured), and dead-lettered as
/// `failed` after `max_attempts` or `give_up_after` — listed and replayable through the API.
public final class WebhookDispatcher: Service, Sendable {
    private let endpoints: [WebhookEndpoint]
    private let store: any AutomationQueueStore
    private let transport: any HTTPTransport
    private let claimer: String
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let signals: [String: WakeSignal]
    private let breakers: Mutex<[String: CircuitBreaker]>
    private let keys: [String: HMACKey]
    /// How long delivered events stay listed.
    private let keepDelivered: TimeInterval

    public init(
        endpoints: [WebhookEndpoint], store: any AutomationQueueStore, transport: any HTTPTransport,
        claimer: String = "gateway-\(ProcessInfo.processInfo.processIdentifier)", keepDelivered: Duration = .seconds(7 * 86400),
        now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.endpoints = endpoints
        self.store = store
        self.transport = transport
        self.claimer = claimer
        self.now = now
        self.logger = logger
        self.keepDelivered = keepDelivered.seconds
        signals = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.id, WakeSignal()) })
        breakers = Mutex(
            Dictionary(
                uniqueKeysWithValues: endpoints.map {
                    ($0.id, CircuitBreaker(threshold: $0.breakerFailures, cooldown: $0.breakerCooldown))
                }))
        keys = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.id, HMACKey($0.secret)) })
    }

    /// New events may be queued: every endpoint looks now.
    public func wake() {
        for signal in signals.values { signal.wake() }
    }

    /// Each endpoint's circuit as this gateway sees it.
    public func circuits() -> [String: CircuitBreaker.State] {
        let at = now()
        return breakers.withLock { $0.mapValues { $0.state(at: at) } }
    }

    public func run() async throws {
        guard !endpoints.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for endpoint in self.endpoints {
                    group.addTask { await self.loop(endpoint) }
                }
            }
        }
    }

    private func loop(_ endpoint: WebhookEndpoint) async {
        var lastPrune = Date.distantPast
        while !Task.isCancelled {
            let at = now()
            if at.timeIntervalSince(lastPrune) >= 60 {
                lastPrune = at
                do {
                    try await store.pruneQueued(
                        consumer: AutomationConsumer.webhook(endpoint.id), deliveredBefore: at.addingTimeInterval(-keepDelivered),
                        expire: QueueExpiry(before: at.addingTimeInterval(-endpoint.giveUpAfter.seconds)), at: at)
                } catch {
                    logger.warning("webhook queue pruning failed", metadata: ["webhook": "\(endpoint.id)", "error": "\(error)"])
                }
            }
            let sent = (try? await drainOnce(endpoint)) ?? 0
            if sent == 0 { await signals[endpoint.id]?.wait(upTo: await pause(endpoint)) }
        }
    }

    /// How long to sleep when nothing was sent: until the circuit half-opens (events due meanwhile wait:
    /// nothing is attempted while it is open), else until the next retry is due; at most 1 s.
    func pause(_ endpoint: WebhookEndpoint) async -> Duration {
        let at = now()
        var wait = 1.0
        if let until = breakers.withLock({ $0[endpoint.id]?.openUntil }), until > at {
            return .milliseconds(Int(max(5, min(wait, until.timeIntervalSince(at)) * 1000)))
        }
        if let due = try? await store.nextQueuedDue(consumer: AutomationConsumer.webhook(endpoint.id)) {
            wait = min(wait, max(0.005, due.timeIntervalSince(at)))
        }
        return .milliseconds(Int(max(5, wait * 1000)))
    }

    /// Claims what the circuit allows and posts it; returns how many were attempted.
    @discardableResult
    public func drainOnce(_ endpoint: WebhookEndpoint) async throws -> Int {
        let at = now()
        let allowance = breakers.withLock { $0[endpoint.id]?.allowance(at: at, concurrency: endpoint.concurrency) ?? 0 }
        guard allowance > 0 else { return 0 }
        let lease = at.addingTimeInterval(endpoint.timeout.seconds + 30)
        let claimed = try await store.claimQueued(
            consumer: AutomationConsumer.webhook(endpoint.id), now: at, limit: allowance, claimer: claimer, leaseUntil: lease)
        // Posted at once; their outcomes recorded together (one commit per batch, not per post).
        let completions = await withTaskGroup(of: QueueCompletion?.self) { group in
            for item in claimed { group.addTask { await self.deliver(item, to: endpoint) } }
            return await group.reduce(into: [QueueCompletion]()) { if let c = $1 { $0.append(c) } }
        }
        do {
            try await store.completeQueued(completions, at: now())
        } catch {
            // Their leases run out and they are posted again: receivers deduplicate by X-Switchboard-Delivery.
            logger.error(
                "could not record webhook deliveries",
                metadata: ["webhook": "\(endpoint.id)", "deliveries": "\(completions.count)", "error": "\(error)"])
        }
        return claimed.count
    }

    /// Posts one event; nil when shutting down (its lease runs out and it is posted again).
    private func deliver(_ item: QueuedItem, to endpoint: WebhookEndpoint) async -> QueueCompletion? {
        let body = Self.body(item)
        let attempt = item.attempts + 1
        let sentAt = now()
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "switchboard-webhooks"),
            ("X-Switchboard-Event", item.type), ("X-Switchboard-Delivery", String(item.id)), ("X-Switchboard-Attempt", String(attempt)),
        ]
        if let key = keys[endpoint.id] { headers.append((WebhookSignature.header, WebhookSignature.sign(body: body, secret: key, at: sentAt))) }
        let request = HTTPRequest(method: "POST", url: endpoint.url, headers: headers, body: body, timeout: endpoint.timeout)
        var result: QueueResult
        var endpointFailed = false
        do {
            let response = try await transport.send(request)
            switch response.status {
            case 200..<300:
                result = .done(keep: true)
            case 408, 425, 429, 500...:
                endpointFailed = true
                var wait = endpoint.backoff(afterFailures: attempt)
                if let after = response.header("Retry-After").flatMap(Double.init) { wait = max(wait, min(after, endpoint.maxBackoff.seconds)) }
                result =
                    attempt >= endpoint.maxAttempts
                    ? .failed(error: "HTTP \(response.status) after \(attempt) attempts")
                    : .retry(error: "HTTP \(response.status)", at: now().addingTimeInterval(wait))
            default:
                // The endpoint is up and refuses this event: retrying would get the same answer.
                result = .failed(error: "HTTP \(response.status): refused by the endpoint")
            }
        } catch is CancellationError {
            // Shutting down: the lease runs out and another attempt is made.
            return nil
        } catch {
            endpointFailed = true
            let reason = (error as? TransportError)?.message ?? "\(error)"
            result =
                attempt >= endpoint.maxAttempts
                ? .failed(error: "\(reason) (after \(attempt) attempts)")
                : .retry(error: reason, at: now().addingTimeInterval(endpoint.backoff(afterFailures: attempt)))
        }
        let state = breakers.withLock { breakers -> CircuitBreaker.State? in
            let before = breakers[endpoint.id]?.state(at: sentAt)
            if endpointFailed { breakers[endpoint.id]?.failed(at: now()) } else { breakers[endpoint.id]?.succeeded() }
            let after = breakers[endpoint.id]?.state(at: now())
            return before != after ? after : nil
        }
        if let state {
            Gauge(label: "switchboard_webhook_circuit_open", dimensions: [("webhook", endpoint.id)]).record(state == .closed ? 0 : 1)
            logger.notice("webhook circuit \(state == .closed ? "closed" : "opened")", metadata: ["webhook": "\(endpoint.id)"])
        }
        Counter(label: "switchboard_webhook_deliveries_total", dimensions: [("webhook", endpoint.id), ("result", result.label)]).increment()
        return QueueCompletion(id: item.id, result: result)
    }

    /// `{"id", "type", "conversation", "created_at", "data"}`: `data` is the live stream's payload of the event.
    static func body(_ item: QueuedItem) -> [UInt8] {
        let created = ISO8601DateFormatter().string(from: item.createdAt)
        let head =
            "{\"id\":\(item.id),\"type\":\(Self.quoted(item.type)),\"conversation\":\(item.conversationID),\"created_at\":\"\(created)\",\"data\":"
        return Array(head.utf8) + Array(item.payload.utf8) + Array("}".utf8)
    }

    private static func quoted(_ s: String) -> String {
        String(decoding: JSONCoding.encode(s), as: UTF8.self)
    }
}

extension QueueResult {
    var label: String {
        switch self {
        case .done: "delivered"
        case .retry: "retry"
        case .failed: "failed"
        }
    }
}
