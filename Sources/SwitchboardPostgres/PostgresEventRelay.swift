import Foundation
import Logging
import PostgresNIO
import SwitchboardCore
import Synchronization

/// Live events across gateways through PostgreSQL `LISTEN/NOTIFY` on the channel
/// `switchboard_events`.
///
/// Every event this gateway emits is sent, in order, as `NOTIFY switchboard_events, '<json>'` (through
/// `pg_notify` on a pooled connection); a dedicated connection (outside the pool) stays `LISTEN`ing and hands the other
/// gateways' events to ``EventBus/deliverRemote(_:)``. Each notification carries the sender's instance
/// id, so a gateway ignores its own. A notification payload must stay under 8000 bytes: an event whose
/// JSON would not fit is sent as a small `conversation.refresh` event instead (`{"conversation_id",
/// "type"}`: the type that was too large), and the receiving agent refetches the conversation.
/// Delivery is best effort, like the bus: while the listening connection is being re-established
/// (database restart) other gateways' events are missed.
public final class PostgresEventRelay: EventRelay {
    public static let channel = "switchboard_events"
    /// PostgreSQL's limit is 8000 bytes; the rest is headroom.
    static let maxPayload = 7800

    /// What travels in one notification.
    struct Wire: Codable {
        /// The sending gateway's instance id.
        var g: String
        var t: String
        var c: Int64
        var o: String?
        var a: String?
        var n: [String]
        /// The event's JSON payload, as text.
        var d: String
    }

    public let instanceID: String
    /// How this gateway's own payloads begin (see ``text(_:)``).
    private let ownPrefix: String
    /// The store whose pool sends (read at each send: the pool is replaced when the primary moves).
    private let store: PostgresStore
    private let listener: PostgresDedicatedConnection
    private let logger: Logger
    /// Payloads waiting to be sent; whatever piles up while one batch is sent goes in the next.
    private let pending = Mutex<[String]>([])
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Whether the listening connection has its `LISTEN` in place.
    private let listening = Mutex(false)
    /// Most payloads kept while the database is unreachable (the oldest are dropped first).
    static let maxPending = 10_000
    /// Most notifications per statement.
    static let maxBatch = 200

    /// Sends through `store`'s pool; listens on a connection of its own to `url` (the store's).
    public init(
        store: PostgresStore, url: String, password: String?, instanceID: String = UUID().uuidString,
        logger: Logger = Logger(label: "switchboard.postgres.events")
    ) throws {
        self.store = store
        self.listener = try PostgresDedicatedConnection(url: url, password: password, logger: logger)
        self.instanceID = instanceID
        self.ownPrefix = #"{"g":"# + JSONText.quoted(instanceID) + ","
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func forward(_ event: SwitchboardEvent) {
        let payload = encode(event)
        pending.withLock { queue in
            if queue.count >= Self.maxPending { queue.removeFirst(queue.count - Self.maxPending + 1) }
            queue.append(payload)
        }
        wake.yield()
    }

    /// The notification payload for `event` (a refresh event when the full one would be too large).
    func encode(_ event: SwitchboardEvent) -> String {
        var wire = Wire(
            g: instanceID, t: event.type, c: event.conversationID, o: event.owner, a: event.assignee, n: event.alsoNotify,
            d: String(decoding: event.data, as: UTF8.self))
        let text = Self.text(wire)
        if text.utf8.count <= Self.maxPayload { return text }
        let refresh = DomainEvent.conversationRefresh(conversation: event.conversationID, type: event.type)
        wire.t = refresh.name
        wire.d = String(decoding: refresh.encoded(), as: UTF8.self)
        if wire.n.count > 20 { wire.n = Array(wire.n.prefix(20)) }
        return Self.text(wire)
    }

    /// `wire` as JSON, the sender first (so that ``decode(_:)`` knows our own by their first bytes),
    /// written by hand: one goes out per live event, and a JSONEncoder costs more than the rest of it.
    static func text(_ wire: Wire) -> String {
        var json = #"{"g":"# + JSONText.quoted(wire.g) + #","t":"# + JSONText.quoted(wire.t) + #","c":\#(wire.c)"#
        if let owner = wire.o { json += #","o":"# + JSONText.quoted(owner) }
        if let assignee = wire.a { json += #","a":"# + JSONText.quoted(assignee) }
        json += #","n":["# + wire.n.map(JSONText.quoted).joined(separator: ",") + #"],"d":"# + JSONText.quoted(wire.d) + "}"
        return json
    }

    /// The event another gateway sent, or nil for our own (or anything unreadable).
    func decode(_ payload: String) -> SwitchboardEvent? {
        // Every gateway hears its own notifications too: known by their start, they are not decoded.
        if payload.utf8.starts(with: ownPrefix.utf8) { return nil }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(payload.utf8)), wire.g != instanceID else { return nil }
        return SwitchboardEvent(
            id: 0, type: wire.t, conversationID: wire.c, owner: wire.o, assignee: wire.a, alsoNotify: wire.n, data: Array(wire.d.utf8))
    }

    public func run(into bus: EventBus) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sendAll() }
            group.addTask { await self.listen(into: bus) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Sends the queued events in order until cancelled, many per statement (one round trip and
    /// one transaction for a burst, not one per event: notifications of one transaction arrive in
    /// the order sent). A batch that cannot be sent is dropped, as the bus drops for slow readers.
    private func sendAll() async {
        for await _ in wakeups {
            while true {
                let batch: [String] = pending.withLock { queue in
                    let taken = Array(queue.prefix(Self.maxBatch))
                    queue.removeFirst(taken.count)
                    return taken
                }
                if batch.isEmpty { break }
                do {
                    try await store.client.withConnection { connection in
                        _ = try await connection.query(
                            "SELECT pg_notify(\(Self.channel), payload) FROM unnest(\(batch)::text[]) WITH ORDINALITY AS t(payload, n) ORDER BY n",
                            logger: self.logger
                        ).collect()
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("could not relay live events to other gateways", metadata: ["error": "\(error)", "events": "\(batch.count)"])
                }
            }
        }
    }

    public func waitUntilListening(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        // Polled: asked once at start-up, where 10 ms more or less does not matter.
        while !listening.withLock({ $0 }) {
            if ContinuousClock.now >= deadline || Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Keeps one connection listening, reconnecting after a second when it fails.
    private func listen(into bus: EventBus) async {
        while !Task.isCancelled {
            do {
                try await listener.with { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        // PostgresNIO calls this once the server has confirmed the LISTEN.
                        self.listening.withLock { $0 = true }
                        defer { self.listening.withLock { $0 = false } }
                        self.logger.debug("listening for other gateways' events")
                        for try await notification in notifications {
                            if let event = self.decode(notification.payload) { bus.deliverRemote(event) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for other gateways' events failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
