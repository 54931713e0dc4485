import Foundation
import SwitchboardAdapterAPI

/// One event on its way to a webhook endpoint, as supervisors see it.
public struct WebhookDelivery: Sendable, Codable, Equatable {
    public var id: Int64
    public var event: String
    public var conversation: Int64
    public var state: QueueState
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var doneAt: Date?
    /// The payload posted as `data`.
    public var data: JSONValue

    enum CodingKeys: String, CodingKey {
        case id, event, conversation, state, attempts, data
        case lastError = "last_error"
        case createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at"
        case doneAt = "done_at"
    }

    init(_ item: QueuedItem) {
        id = item.id
        event = item.type
        conversation = item.conversationID
        state = item.state
        attempts = item.attempts
        lastError = item.lastError
        createdAt = item.createdAt
        nextAttemptAt = item.state == .queued ? item.nextAttemptAt : nil
        doneAt = item.doneAt
        data = (try? JSONValue.parse(Array(item.payload.utf8))) ?? .string(item.payload)
    }
}

/// A webhook endpoint and its circuit, as supervisors see it (never its secret).
public struct WebhookStatus: Sendable, Codable, Equatable {
    public var id: String
    public var url: String
    public var events: [String]
    /// As this gateway sees it: `closed` (delivering), `open` (waiting after failures), `half_open` (probing).
    public var circuit: CircuitBreaker.State
}

/// The webhook endpoints for supervisors: their state, their deliveries, and replaying dead letters.
public struct Integrations: Sendable {
    public let endpoints: [WebhookEndpoint]
    let store: any AutomationQueueStore
    let dispatcher: WebhookDispatcher?
    let now: @Sendable () -> Date

    public init(
        endpoints: [WebhookEndpoint], store: any AutomationQueueStore, dispatcher: WebhookDispatcher?, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.endpoints = endpoints
        self.store = store
        self.dispatcher = dispatcher
        self.now = now
    }

    public func list(by viewer: Viewer) throws -> [WebhookStatus] {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors see the webhooks") }
        let circuits = dispatcher?.circuits() ?? [:]
        return endpoints.map {
            WebhookStatus(id: $0.id, url: Self.redacted($0.url), events: $0.events.sorted(), circuit: circuits[$0.id] ?? .closed)
        }
    }

    public func deliveries(of id: String, state: QueueState?, before: Int64?, limit: Int, by viewer: Viewer) async throws -> [WebhookDelivery] {
        try check(id, viewer)
        return try await store.queuedEvents(consumer: AutomationConsumer.webhook(id), state: state, before: before, limit: limit)
            .map(WebhookDelivery.init)
    }

    /// Puts dead letters back in the queue (these ids, or all of the endpoint's); returns how many.
    public func replay(_ id: String, deliveries: [Int64]?, by viewer: Viewer) async throws -> Int {
        try check(id, viewer)
        let count = try await store.replayQueued(consumer: AutomationConsumer.webhook(id), ids: deliveries, at: now())
        if count > 0 { dispatcher?.wake() }
        return count
    }

    private func check(_ id: String, _ viewer: Viewer) throws {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors see webhook deliveries") }
        guard endpoints.contains(where: { $0.id == id }) else { throw ServiceError.notFound("webhook '\(id)'") }
    }

    /// The URL without a user's password or a query (where tokens hide).
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        if components.password != nil { components.password = "***" }
        if components.query != nil { components.query = "…" }
        return components.string ?? url
    }
}
