import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Synchronization
import Testing

/// What a gateway sends the others: only what someone there can see, or what they keep state from.
@Suite struct EventBusRelayTests {
    /// Joins two buses in memory, counting what each side forwarded, by event type.
    final class CountingRelay: EventRelay {
        let peer = Mutex<EventBus?>(nil)
        let sent = Mutex<[String: Int]>([:])
        func forward(_ event: SwitchboardEvent) {
            sent.withLock { $0[event.type, default: 0] += 1 }
            peer.withLock { $0 }?.deliverRemote(event)
        }
        func run(into bus: EventBus) async throws {}
        func waitUntilListening(timeout: Duration) async -> Bool { true }
        func count(_ type: String) -> Int { sent.withLock { $0[type] ?? 0 } }
    }

    let access = ConversationAccess(id: 7, owner: "ana", assignee: "ana", team: "support", status: .open)

    func message(_ text: String) -> DomainEvent {
        .messageCreated(MessageRecord(id: 1, conversationID: 7, direction: .inbound, body: text, createdAt: Date()))
    }

    @Test func messagesGoToOtherGatewaysOnlyWhileSomeoneThereIsConnected() async throws {
        let (relayA, relayB) = (CountingRelay(), CountingRelay())
        let gatewayA = EventBus(relay: relayA)
        let gatewayB = EventBus(relay: relayB)
        relayA.peer.withLock { $0 = gatewayB }
        relayB.peer.withLock { $0 = gatewayA }

        gatewayA.publish(message("nobody is connected anywhere"), conversation: access)
        #expect(relayA.count("message.created") == 0, "not encoded nor sent: nobody on B would see it")
        #expect(!gatewayA.othersListening(at: Date()))

        // An agent connects to B: B says so at once, and from then on A sends.
        let anaOnB = gatewayB.subscribe(Viewer(agentID: "ana", isSupervisor: false))
        #expect(gatewayA.othersListening(at: Date()))
        gatewayA.publish(message("hello"), conversation: access)
        #expect(relayA.count("message.created") == 1)
        var received = anaOnB.makeAsyncIterator()
        let event = try #require(await received.next())
        #expect(event.type == "message.created" && String(decoding: event.data, as: UTF8.self).contains("hello"))
        // After the announcement's lifetime without a renewal, A stops sending again.
        #expect(!gatewayA.othersListening(at: Date().addingTimeInterval(20)))
    }

    @Test func whatOtherGatewaysKeepStateFromIsAlwaysSent() {
        let (relayA, relayB) = (CountingRelay(), CountingRelay())
        let gatewayA = EventBus(relay: relayA)
        let gatewayB = EventBus(relay: relayB)
        relayA.peer.withLock { $0 = gatewayB }
        relayB.peer.withLock { $0 = gatewayA }
        let presenceOnA = ConversationPresence(events: gatewayA)
        let presenceOnB = ConversationPresence(events: gatewayB)

        // Nobody is connected to B, yet an API call there lists who views the conversation on A.
        presenceOnA.announce(.viewing, agent: "marta", name: "Marta Ruiz", in: access)
        #expect(relayA.count("presence.updated") == 1)
        #expect(presenceOnB.viewers(of: 7, excluding: "ana").map(\.agent) == ["marta"])
        _ = presenceOnA
    }
}
