import Foundation
import SwitchboardCore
import SwitchboardStoreTestSupport
import Synchronization
import Testing

/// Collision detection: who has a conversation open, told to those who can see it, expiring by
/// itself, and the same table on every gateway of a cluster.
@Suite struct ConversationPresenceTests {
    /// Ana's conversation: Ana and the supervisor Marta see it, Luis does not.
    let access = ConversationAccess(id: 7, owner: "ana", assignee: "ana", team: "support", status: .open)
    let ana = Viewer(agentID: "ana", isSupervisor: false)
    let luis = Viewer(agentID: "luis", isSupervisor: false)
    let marta = Viewer(agentID: "marta", isSupervisor: true)

    @Test func changesAreToldToThoseWhoSeeTheConversationAndRenewalsAreNot() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let events = EventBus()
        let presence = ConversationPresence(events: events, now: { clock.now })
        let toAna = events.subscribe(ana)
        let toLuis = events.subscribe(luis)
        let toMarta = events.subscribe(marta)

        presence.announce(.viewing, agent: "marta", name: "Marta Ruiz", in: access)
        clock.advance(10)
        presence.announce(.viewing, agent: "marta", name: "Marta Ruiz", in: access)  // a renewal: no news
        clock.advance(1)
        presence.announce(.typing, agent: "marta", name: "Marta Ruiz", in: access)

        let seen = try await drain(toAna, events: events, for: "ana")
        #expect(seen.map(\.state) == [.viewing, .typing])
        #expect(seen.allSatisfy { $0.agent == "marta" && $0.name == "Marta Ruiz" && $0.conversation == 7 })
        #expect(seen.last?.since == clock.now, "typing since it began")
        #expect(seen.last?.expiresAt == clock.now.addingTimeInterval(30))
        #expect(try await drain(toLuis, events: events, for: "luis").isEmpty, "Luis cannot see the conversation")
        #expect(try await drain(toMarta, events: events, for: "marta").count == 2, "the announcer's own stream carries it too")

        #expect(
            presence.viewers(of: 7, excluding: "ana") == [
                ConversationViewer(agent: "marta", name: "Marta Ruiz", state: .typing, since: clock.now)
            ])
        #expect(presence.viewers(of: 7, excluding: "marta").isEmpty, "the caller is not listed")
        #expect(presence.viewers(of: 8, excluding: nil).isEmpty)

        presence.announce(.left, agent: "marta", name: "Marta Ruiz", in: access)
        #expect(try await drain(toAna, events: events, for: "ana").map(\.state) == [.left])
        #expect(presence.viewers(of: 7, excluding: "ana").isEmpty)
    }

    @Test func anAnnouncementLapsesWithoutRenewal() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let events = EventBus()
        let presence = ConversationPresence(events: events, expiry: .seconds(30), now: { clock.now })
        let toAna = events.subscribe(ana)

        presence.announce(.typing, agent: "marta", name: "Marta Ruiz", in: access)
        clock.advance(29)
        presence.sweep()
        #expect(presence.viewers(of: 7, excluding: "ana").map(\.state) == [.typing])
        clock.advance(1)
        #expect(presence.viewers(of: 7, excluding: "ana").isEmpty, "gone at 30 s, even before a sweep")
        let swept = presence.sweep()
        #expect(swept.map(\.agent) == ["marta"])
        #expect(try await drain(toAna, events: events, for: "ana").map(\.state) == [.typing, .left])
        #expect(presence.sweep().isEmpty, "told once")

        // Coming back after the lapse is news again.
        presence.announce(.viewing, agent: "marta", name: "Marta Ruiz", in: access)
        #expect(try await drain(toAna, events: events, for: "ana").map(\.state) == [.viewing])
    }

    @Test func aViewerAnnouncedOnOneGatewayIsListedOnTheOther() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (relayA, relayB) = (LoopRelay(), LoopRelay())
        let gatewayA = EventBus(relay: relayA)
        let gatewayB = EventBus(relay: relayB)
        relayA.peer.withLock { $0 = gatewayB }
        relayB.peer.withLock { $0 = gatewayA }
        let onA = ConversationPresence(events: gatewayA, now: { clock.now })
        let onB = ConversationPresence(events: gatewayB, now: { clock.now })
        let anaOnB = gatewayB.subscribe(ana)
        let luisOnB = gatewayB.subscribe(luis)

        onA.announce(.viewing, agent: "marta", name: "Marta Ruiz", in: access)
        #expect(onB.viewers(of: 7, excluding: "ana").map(\.agent) == ["marta"])
        onA.announce(.typing, agent: "marta", name: "Marta Ruiz", in: access)
        #expect(onB.viewers(of: 7, excluding: "ana").map(\.state) == [.typing])

        // Renewals keep the entry alive on B without telling B's agents anything.
        for _ in 0..<3 {
            clock.advance(20)
            onA.announce(.typing, agent: "marta", name: "Marta Ruiz", in: access)
        }
        #expect(onB.viewers(of: 7, excluding: "ana").map(\.state) == [.typing], "60 s on, still there")
        #expect(try await drain(anaOnB, events: gatewayB, for: "ana").map(\.state) == [.viewing, .typing])
        #expect(try await drain(luisOnB, events: gatewayB, for: "luis").isEmpty, "visibility holds across gateways")

        // Each gateway expires by itself and tells only its own agents.
        clock.advance(30)
        #expect(onB.sweep().map(\.agent) == ["marta"])
        #expect(onA.sweep().map(\.agent) == ["marta"])
        #expect(try await drain(anaOnB, events: gatewayB, for: "ana").map(\.state) == [.left], "once, not once per gateway")

        onA.announce(.viewing, agent: "marta", name: "Marta Ruiz", in: access)
        onA.announce(.left, agent: "marta", name: "Marta Ruiz", in: access)
        #expect(onB.viewers(of: 7, excluding: "ana").isEmpty)
        #expect(try await drain(anaOnB, events: gatewayB, for: "ana").map(\.state) == [.viewing, .left])
    }

    @Test func theWirePayloadDecodesAgain() throws {
        let payload = PresencePayload(
            conversation: 3, agent: "luis", name: "Luis", state: .typing, since: Date(timeIntervalSince1970: 1_800_000_000),
            expiresAt: Date(timeIntervalSince1970: 1_800_000_030))
        let event = DomainEvent.presenceUpdated(payload)
        #expect(event.name == "presence.updated")
        #expect(DomainEvent(remote: event.name, data: event.encoded()) == event)
        #expect(DomainEvent(remote: "message.created", data: event.encoded()) == nil, "only kinds a gateway keeps state of")
        let json = String(decoding: event.encoded(), as: UTF8.self)
        #expect(json.contains("\"conversation_id\":3") && json.contains("\"expires_at\":\"2027-01-15T08:00:30Z\""))
    }

    /// The presence events `agent` received so far: a marker is published after them and the
    /// stream read up to it, so "nothing" is checked without waiting.
    func drain(_ stream: AsyncStream<SwitchboardEvent>, events: EventBus, for agent: String) async throws -> [PresencePayload] {
        let marker = ConversationAccess(id: 999_999, owner: nil, assignee: nil, team: nil, status: .open)
        events.publish(.conversationRefresh(conversation: 999_999, type: "marker"), conversation: marker, alsoNotify: [agent], reach: .thisGateway)
        var seen: [PresencePayload] = []
        for await event in stream {
            if event.conversationID == 999_999 { return seen }
            if case .presenceUpdated(let p)? = DomainEvent(remote: event.type, data: event.data) { seen.append(p) }
        }
        return seen
    }
}

/// Two gateways' relays joined in memory: what one forwards, the other receives at once.
final class LoopRelay: EventRelay {
    let peer = Mutex<EventBus?>(nil)
    func forward(_ event: SwitchboardEvent) { peer.withLock { $0 }?.deliverRemote(event) }
    func run(into bus: EventBus) async throws {}
    func waitUntilListening(timeout: Duration) async -> Bool { true }
}
