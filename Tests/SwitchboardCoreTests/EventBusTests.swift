import Foundation
import SwitchboardCore
import Testing

/// Live events: each agent gets only their own conversations' events (and those they must hear
/// of), supervisors everything; a subscriber who does not read loses the oldest, not memory.
@Suite struct EventBusTests {
    let anas = ConversationAccess(id: 7, owner: "ana", assignee: "bea", team: "support", status: .open)

    func note(_ conversation: Int64 = 7) -> DomainEvent {
        .messageCreated(MessageRecord(id: 1, conversationID: conversation, direction: .note, body: "n", createdAt: Plans.now, author: "ana"))
    }

    @Test func eachAgentSeesOnlyTheConversationsTheyOwnOrAreAssigned() async throws {
        let bus = EventBus()
        let inboxes = Staff.all.map { EventInbox(bus, $0) }
        bus.publish(note(), conversation: anas)
        var seen: [String: [Int64]] = [:]
        for inbox in inboxes { seen[inbox.viewer.agentID] = try await inbox.settle().map(\.conversationID) }
        #expect(seen == ["ana": [7], "bea": [7], "luis": [], "marta": [7]])
    }

    @Test func alsoNotifyReachesAnAgentWhoNoLongerSeesTheConversation() async throws {
        let bus = EventBus()
        let (luis, ana) = (EventInbox(bus, Staff.luis), EventInbox(bus, Staff.ana))
        bus.publish(
            .conversationAssigned(AssignedPayload(conversation: 7, owner: "ana", assignee: "bea", reason: "moved")), conversation: anas,
            alsoNotify: ["luis"])
        let events = try await luis.settle()
        #expect(events.map(\.type) == ["conversation.assigned"])
        #expect(events.first?.assigned?.assignee == "bea")
        #expect(try await ana.settledTypes() == ["conversation.assigned"], "told once, as the owner")
    }

    @Test func aSubscriberWhoDoesNotReadKeepsOnlyTheNewestEvents() async throws {
        let bus = EventBus(bufferSize: 3)
        let stream = bus.subscribe(Viewer(Staff.ana))
        for id in Int64(1)...10 {
            bus.publish(note(id), conversation: ConversationAccess(id: id, owner: "ana", assignee: "ana", team: nil, status: .open))
        }
        bus.finishAll()
        var kept: [Int64] = []
        for await event in stream { kept.append(event.conversationID) }
        #expect(kept == [8, 9, 10])
    }

    @Test func eventsAreNumberedInTheOrderTheyHappened() async throws {
        let bus = EventBus()
        let ana = EventInbox(bus, Staff.ana)
        bus.publish(note(), conversation: anas)
        bus.publish(
            .conversationResolved(MessageRecord(id: 2, conversationID: 7, direction: .event, body: "Resolved by ana", createdAt: Plans.now)),
            conversation: anas)
        let events = try await ana.settle()
        #expect(events.map(\.type) == ["message.created", "conversation.resolved"])
        #expect(events[0].id < events[1].id)
    }

    @Test func finishingEndsEveryStream() async {
        let bus = EventBus()
        let stream = bus.subscribe(Viewer(Staff.marta))
        #expect(bus.subscriberCount == 1)
        #expect(bus.connectedAgents == ["marta"])
        bus.finishAll()
        #expect(bus.subscriberCount == 0)
        var count = 0
        for await _ in stream { count += 1 }
        #expect(count == 0)
    }
}
