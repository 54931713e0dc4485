import Foundation
import Synchronization

/// One live event for the agents who may see its conversation.
public struct SwitchboardEvent: Sendable {
    public var id: Int64
    /// `message.created`, `conversation.assigned`, `delivery.updated`, …
    public var type: String
    public var conversationID: Int64
    public var owner: String?
    public var assignee: String?
    /// Agents told even though they no longer see the conversation (e.g. the previous assignee).
    public var alsoNotify: [String]
    /// The JSON payload.
    public var data: [UInt8]

    public init(
        id: Int64, type: String, conversationID: Int64, owner: String?, assignee: String?, alsoNotify: [String] = [],
        data: [UInt8]
    ) {
        self.id = id
        self.type = type
        self.conversationID = conversationID
        self.owner = owner
        self.assignee = assignee
        self.alsoNotify = alsoNotify
        self.data = data
    }

    public func isVisible(to viewer: Viewer) -> Bool {
        viewer.canSee(owner: owner, assignee: assignee) || alsoNotify.contains(viewer.agentID)
    }
}

/// Fans live events out to connected agents, each seeing only their own conversations. Slow
/// subscribers lose the oldest events rather than growing memory without bound.
public final class EventBus: Sendable {
    private struct State {
        var nextEventID: Int64 = 1
        /// When each agent's last live connection ended (absent while connected or never seen).
        var lastDisconnect: [String: Date] = [:]
        /// When another gateway last announced each agent as connected there.
        var seenElsewhere: [String: Date] = [:]
        var subscribers: [UUID: (viewer: Viewer, continuation: AsyncStream<SwitchboardEvent>.Continuation)] = [:]
        /// Keepers of state fed by other gateways' events, by event type (see ``onRemote(_:_:)``).
        var remoteHandlers: [String: @Sendable (SwitchboardEvent) -> Bool] = [:]
        /// Where published events go for the rules and webhooks (see ``record(to:)``).
        var journal: (@Sendable (DomainEvent, ConversationAccess, String?) -> Void)?
        /// Agents who may read a conversation besides those it belongs to (mentioned in it).
        var readers: [Int64: Set<String>] = [:]
    }

    /// Where a published event goes.
    public enum Reach: Sendable {
        /// To the agents here and to the other gateways (the usual).
        case everywhere
        /// Only to the agents connected here: each gateway publishes it for itself.
        case thisGateway
        /// Only to the other gateways, which keep state from it (a renewal that is not news here).
        case otherGateways
    }

    private let state = Mutex(State())
    private let bufferSize: Int
    /// Carries events to and from other gateways on the same database (nil: this process only).
    private let relay: (any EventRelay)?

    public init(bufferSize: Int = 1000, relay: (any EventRelay)? = nil) {
        self.bufferSize = bufferSize
        self.relay = relay
    }

    /// A stream of the events `viewer` may see, until the stream is dropped or ``finishAll()``.
    public func subscribe(_ viewer: Viewer) -> AsyncStream<SwitchboardEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SwitchboardEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id = UUID()
        state.withLock { $0.subscribers[id] = (viewer, continuation) }
        // At once, not at the next interval: the other gateways send their events from then on.
        announcePresence()
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                _ = state.subscribers.removeValue(forKey: id)
                state.lastDisconnect[viewer.agentID] = Date()
            }
        }
        return stream
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Viewers connected to this gateway now.
    public var connectedAgents: Set<String> { state.withLock { Set($0.subscribers.values.map(\.viewer.agentID)) } }

    /// The event type gateways announce their connected agents with (never shown to agents).
    static let presenceType = "presence"
    /// How often each gateway announces its connected agents to the others.
    public static let presenceInterval: Duration = .seconds(5)
    /// An announcement counts for three intervals, so one lost notification changes nothing.
    static let presenceLifetime: TimeInterval = 15

    /// Agents with a live connection to this gateway, or to another that announced them recently:
    /// with several gateways, `auto_away` must not mark away an agent connected to another one.
    public func presentAgents(at now: Date) -> Set<String> {
        state.withLock { state in
            Set(state.subscribers.values.map(\.viewer.agentID))
                .union(state.seenElsewhere.filter { now.timeIntervalSince($0.value) < Self.presenceLifetime }.keys)
        }
    }

    /// When `agent` was last connected anywhere we know of; nil if connected here now or never seen.
    public func lastDisconnect(of agent: String) -> Date? {
        state.withLock { state in
            if state.subscribers.values.contains(where: { $0.viewer.agentID == agent }) { return nil }
            return [state.lastDisconnect[agent], state.seenElsewhere[agent]].compactMap { $0 }.max()
        }
    }

    /// Tells the other gateways which agents are connected here (a no-op without a relay).
    public func announcePresence() {
        guard let relay else { return }
        let agents = connectedAgents
        guard !agents.isEmpty else { return }
        relay.forward(
            SwitchboardEvent(
                id: 0, type: Self.presenceType, conversationID: 0, owner: nil, assignee: nil, data: JSONCoding.encode(agents.sorted())))
    }

    /// Hands every event published from now on (but those marked `journal: false`) to `journal`,
    /// with the rule that caused it, if any: the rules and webhooks hear of it.
    public func record(to journal: @escaping @Sendable (DomainEvent, ConversationAccess, String?) -> Void) {
        state.withLock { $0.journal = journal }
    }

    /// Publishes an event (and forwards it to the relay, if any); the payload is encoded only when
    /// someone is listening here or elsewhere. `cause` names the rule whose action it reports;
    /// `journal: false` for events already written to the automation queue (ingestion's).
    public func publish(
        _ event: DomainEvent, conversation: ConversationAccess, alsoNotify: [String] = [], reach: Reach = .everywhere,
        cause: String? = nil, journal: Bool = true
    ) {
        if journal, reach != .otherGateways, let record = state.withLock({ $0.journal }) { record(event, conversation, cause) }
        let here = reach != .otherGateways
        let elsewhere = reach != .thisGateway && relaysNow(event.name) ? relay : nil
        // Encoded only when someone listens: most messages arrive while nobody watches.
        guard (here && subscriberCount > 0) || elsewhere != nil else { return }
        var event = SwitchboardEvent(
            id: 0, type: event.name, conversationID: conversation.id, owner: conversation.owner,
            assignee: conversation.assignee, alsoNotify: alsoNotify, data: event.encoded())
        if here { event = fanOut(event) }
        elsewhere?.forward(event)
    }

    /// Whether an event goes to the other gateways now: when one of them announced a connected agent
    /// lately (``presenceLifetime``), or always for the kinds other gateways keep state from (who is
    /// viewing a conversation; mentions' read grants). Otherwise nobody there would see it, and
    /// encoding and sending every ingested message's events through the database is most of what a
    /// gateway on PostgreSQL spends beyond storing them. A gateway announces its agents as soon as one
    /// connects (``subscribe(_:)``), so the others start sending within a round trip.
    private func relaysNow(_ type: String) -> Bool {
        guard relay != nil else { return false }
        if type == DomainEvent.mentionCreatedName || state.withLock({ $0.remoteHandlers[type] != nil }) { return true }
        return othersListening(at: Date())
    }

    /// Whether another gateway announced a connected agent within ``presenceLifetime`` of `now`.
    public func othersListening(at now: Date) -> Bool {
        state.withLock { state in state.seenElsewhere.values.contains { now.timeIntervalSince($0) < Self.presenceLifetime } }
    }

    /// Lets `agent` see the live events of `conversation` from now on (a mention's read grant).
    public func addReader(_ agent: String, conversation: Int64) {
        state.withLock { _ = $0.readers[conversation, default: []].insert(agent) }
    }

    /// Hands every event of `type` that another gateway sends to `handler` first, which keeps its
    /// own state from it and answers whether the agents here should see it too.
    public func onRemote(_ type: String, _ handler: @escaping @Sendable (SwitchboardEvent) -> Bool) {
        state.withLock { $0.remoteHandlers[type] = handler }
    }

    /// Delivers an event another gateway emitted to the subscribers here, without forwarding it
    /// again. Its `id` is replaced by this bus's next one.
    public func deliverRemote(_ event: SwitchboardEvent) {
        if event.type == Self.presenceType {
            guard let agents = try? JSONCoding.decode([String].self, from: event.data) else { return }
            let now = Date()
            state.withLock { state in
                for agent in agents { state.seenElsewhere[agent] = now }
            }
            return
        }
        if event.type == DomainEvent.mentionCreatedName,
            case .mentionCreated(let mention)? = DomainEvent(remote: event.type, data: event.data)
        {
            addReader(mention.agent, conversation: mention.conversation)
        }
        if let handler = state.withLock({ $0.remoteHandlers[event.type] }), !handler(event) { return }
        _ = fanOut(event)
    }

    /// Numbers `event` and yields it to every subscriber who may see it.
    private func fanOut(_ event: SwitchboardEvent) -> SwitchboardEvent {
        state.withLock { state in
            var event = event
            event.id = state.nextEventID
            state.nextEventID += 1
            let readers = state.readers[event.conversationID] ?? []
            for (_, sub) in state.subscribers where event.isVisible(to: sub.viewer) || readers.contains(sub.viewer.agentID) {
                sub.continuation.yield(event)
            }
            return event
        }
    }

    /// Ends every stream (graceful shutdown).
    public func finishAll() {
        let subs = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for sub in subs { sub.continuation.finish() }
    }
}
