import Foundation
import SwitchboardCore
import Synchronization

/// One agent's live stream, read in the background as the event stream of the console would be,
/// so a test can ask what arrived without racing the bus.
final class EventInbox: Sendable {
    let viewer: Viewer
    private let bus: EventBus
    private let log: EventLog
    private let reader: Task<Void, Never>

    init(_ bus: EventBus, _ viewer: Viewer) {
        self.bus = bus
        self.viewer = viewer
        let stream = bus.subscribe(viewer)
        let log = EventLog()
        self.log = log
        reader = Task { for await event in stream { log.append(event) } }
    }

    convenience init(_ bus: EventBus, _ agent: Agent) { self.init(bus, Viewer(agent)) }

    deinit { reader.cancel() }

    /// Everything this viewer was sent up to now, taken out of the inbox. Publishing is synchronous,
    /// so a marker published now arrives after all of it: what came before the marker is all there is.
    func settle() async throws -> [SwitchboardEvent] {
        let marker = "marker-\(UUID().uuidString)"
        bus.publish(
            .conversationRefresh(conversation: 0, type: marker),
            conversation: ConversationAccess(id: 0, owner: nil, assignee: nil, team: nil, status: .open), alsoNotify: [viewer.agentID])
        try await eventually("\(viewer.agentID) receives the marker") { log.contains(marker) }
        return log.take(through: marker).filter { !Self.isMarker($0) }
    }

    /// The types of everything this viewer was sent up to now.
    func settledTypes() async throws -> [String] { try await settle().map(\.type) }

    /// Waits for an event of `type` (published by a service in the background), taking it and
    /// everything before it out of the inbox.
    func next(_ type: String) async throws -> SwitchboardEvent {
        try await eventually("\(viewer.agentID) receives \(type)") { log.first(type) != nil }
        guard let event = log.take(through: type).last else { throw UnexpectedOutcome("\(type) vanished") }
        return event
    }

    /// Waits until `count` events (published in the background) arrived, and takes them out of the inbox.
    func next(count: Int) async throws -> [SwitchboardEvent] {
        try await eventually("\(viewer.agentID) receives \(count) events") { log.count { !Self.isMarker($0) } >= count }
        return log.take(count: count, where: { !Self.isMarker($0) })
    }

    static func isMarker(_ event: SwitchboardEvent) -> Bool {
        event.conversationID == 0 && event.type == "conversation.refresh"
    }
}

/// The events an inbox received, in order.
private final class EventLog: Sendable {
    private let events = Mutex<[SwitchboardEvent]>([])

    func append(_ event: SwitchboardEvent) { events.withLock { $0.append(event) } }

    func contains(_ marker: String) -> Bool { events.withLock { $0.contains { Self.carries($0, marker) } } }

    func first(_ type: String) -> SwitchboardEvent? { events.withLock { $0.first { $0.type == type } } }

    func count(where matching: (SwitchboardEvent) -> Bool) -> Int { events.withLock { $0.filter(matching).count } }

    /// Removes and returns the first `count` events that match, dropping what does not before them.
    func take(count: Int, where matching: (SwitchboardEvent) -> Bool) -> [SwitchboardEvent] {
        events.withLock { events in
            var taken: [SwitchboardEvent] = []
            while taken.count < count, !events.isEmpty {
                let event = events.removeFirst()
                if matching(event) { taken.append(event) }
            }
            return taken
        }
    }

    /// Removes and returns the events up to the first that is of `type` or carries the marker `type`.
    func take(through type: String) -> [SwitchboardEvent] {
        events.withLock { events in
            guard let index = events.firstIndex(where: { $0.type == type || Self.carries($0, type) }) else { return [] }
            defer { events.removeFirst(index + 1) }
            return Array(events[...index])
        }
    }

    private static func carries(_ event: SwitchboardEvent, _ marker: String) -> Bool {
        EventInbox.isMarker(event) && String(decoding: event.data, as: UTF8.self).contains(marker)
    }
}

extension SwitchboardEvent {
    /// The payload of `conversation.assigned`.
    var assigned: AssignedPayload? { try? JSONDecoder().decode(AssignedPayload.self, from: Data(data)) }
}
