import Foundation
import ServiceLifecycle
import Synchronization

/// What an agent is doing in a conversation they have open.
public enum PresenceState: String, Sendable, Codable {
    case viewing, typing, left
}

/// Payload of `presence.updated`: one agent's presence in one conversation.
public struct PresencePayload: Codable, Sendable, Equatable {
    public var conversation: Int64
    public var agent: String
    public var name: String
    public var state: PresenceState
    /// When the agent entered this state.
    public var since: Date
    /// When the presence ends unless renewed (absent for `left`).
    public var expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case agent, name, state, since
        case conversation = "conversation_id"
        case expiresAt = "expires_at"
    }

    public init(conversation: Int64, agent: String, name: String, state: PresenceState, since: Date, expiresAt: Date?) {
        self.conversation = conversation
        self.agent = agent
        self.name = name
        self.state = state
        self.since = since
        self.expiresAt = expiresAt
    }
}

/// Another agent who has a conversation open, as the conversation view lists them.
public struct ConversationViewer: Codable, Sendable, Equatable {
    public var agent: String
    public var name: String
    public var state: PresenceState
    /// When they entered this state (began viewing, began typing).
    public var since: Date

    public init(agent: String, name: String, state: PresenceState, since: Date) {
        self.agent = agent
        self.name = name
        self.state = state
        self.since = since
    }
}

/// Who has which conversation open right now, so two agents do not answer one customer twice.
///
/// Held in memory only: an announcement lasts ``expiry`` unless renewed. Changes (someone starts
/// viewing, starts typing, leaves) are published as `presence.updated` to everyone who can see the
/// conversation; renewals that change nothing are not shown to agents but still travel to the other
/// gateways on the same database, which keep the same table from the relay (so a viewer announced
/// on one gateway is listed on every other). Each gateway expires entries by its own clock and tells
/// only its own agents (``run()`` sweeps; every gateway does the same, so nobody hears it twice).
public final class ConversationPresence: Service, Sendable {
    private struct Key: Hashable {
        var conversation: Int64
        var agent: String
    }

    private struct Entry {
        var name: String
        var state: PresenceState
        var since: Date
        var expires: Date
        /// Who may see the conversation (as of the latest announcement): who is told when it expires.
        var access: ConversationAccess
    }

    /// How long an announcement lasts without renewal.
    public let expiry: Duration
    private let entries = Mutex<[Key: Entry]>([:])
    private let events: EventBus
    private let now: @Sendable () -> Date

    /// Publishes through `events` and keeps, from it, what other gateways announce.
    public init(events: EventBus, expiry: Duration = .seconds(30), now: @escaping @Sendable () -> Date = Date.init) {
        self.events = events
        self.expiry = expiry
        self.now = now
        events.onRemote(DomainEvent.presenceUpdatedName) { [weak self] event in
            self?.receive(event) ?? true
        }
    }

    private var lifetime: TimeInterval {
        Double(expiry.components.seconds) + Double(expiry.components.attoseconds) / 1e18
    }

    /// Records that `agent` is viewing, typing in or has left the conversation, and tells the
    /// others who can see it when that is news. Returns what was announced.
    @discardableResult
    public func announce(_ state: PresenceState, agent: String, name: String, in access: ConversationAccess) -> PresencePayload {
        let (payload, changed) = apply(
            state, key: Key(conversation: access.id, agent: agent), name: name, since: nil, access: access)
        events.publish(.presenceUpdated(payload), conversation: access, reach: changed ? .everywhere : .otherGateways)
        return payload
    }

    /// The agents other than `agent` who have the conversation open now, longest first.
    public func viewers(of conversation: Int64, excluding agent: String?) -> [ConversationViewer] {
        let now = now()
        return entries.withLock { entries in
            entries.filter { $0.key.conversation == conversation && $0.key.agent != agent && $0.value.expires > now }
                .map { ConversationViewer(agent: $0.key.agent, name: $0.value.name, state: $0.value.state, since: $0.value.since) }
        }
        .sorted { ($0.since, $0.agent) < ($1.since, $1.agent) }
    }

    /// Forgets every announcement not renewed in time and tells this gateway's agents that those
    /// viewers left. Returns what expired.
    @discardableResult
    public func sweep() -> [PresencePayload] {
        let now = now()
        let expired = entries.withLock { entries in
            let gone = entries.filter { $0.value.expires <= now }
            for key in gone.keys { entries.removeValue(forKey: key) }
            return gone
        }
        return expired.sorted { $0.key.agent < $1.key.agent }.map { key, entry in
            let payload = PresencePayload(
                conversation: key.conversation, agent: key.agent, name: entry.name, state: .left, since: now, expiresAt: nil)
            events.publish(.presenceUpdated(payload), conversation: entry.access, reach: .thisGateway)
            return payload
        }
    }

    /// Sweeps expired announcements until the gateway stops.
    public func run() async throws {
        let interval = max(.milliseconds(100), min(.seconds(1), expiry / 4))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                self.sweep()
            }
        }
    }

    /// Applies another gateway's announcement; true when it is news to show the agents here.
    private func receive(_ event: SwitchboardEvent) -> Bool {
        guard case .presenceUpdated(let payload)? = DomainEvent(remote: event.type, data: event.data) else { return false }
        // The relay carries who may see the conversation, which is all an entry needs of it.
        let access = ConversationAccess(id: event.conversationID, owner: event.owner, assignee: event.assignee, team: nil, status: .open)
        let key = Key(conversation: payload.conversation, agent: payload.agent)
        return apply(payload.state, key: key, name: payload.name, since: payload.since, access: access).changed
    }

    /// Records one announcement; `since` is the announcing gateway's (nil: now, here). Expiry is
    /// always counted by this gateway's clock, so clocks that disagree a little change nothing.
    private func apply(
        _ state: PresenceState, key: Key, name: String, since: Date?, access: ConversationAccess
    ) -> (payload: PresencePayload, changed: Bool) {
        let now = now()
        let expires = now.addingTimeInterval(lifetime)
        return entries.withLock { entries in
            if state == .left {
                let existed = entries.removeValue(forKey: key).map { $0.expires > now } ?? false
                let payload = PresencePayload(
                    conversation: key.conversation, agent: key.agent, name: name, state: .left, since: since ?? now, expiresAt: nil)
                return (payload, existed)
            }
            var entry =
                entries[key].flatMap { $0.expires > now ? $0 : nil }
                ?? Entry(name: name, state: state, since: since ?? now, expires: expires, access: access)
            let changed = entries[key].map { $0.expires <= now || $0.state != state } ?? true
            if entry.state != state {
                entry.state = state
                entry.since = since ?? now
            }
            entry.expires = expires
            entry.access = access
            entry.name = name
            entries[key] = entry
            let payload = PresencePayload(
                conversation: key.conversation, agent: key.agent, name: name, state: state, since: entry.since, expiresAt: expires)
            return (payload, changed)
        }
    }
}
