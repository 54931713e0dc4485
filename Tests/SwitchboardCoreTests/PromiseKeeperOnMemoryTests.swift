import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// The promise keeper on the memory engine, driven tick by tick on the test's clock: the 80 %
/// warning, the breach that escalates and tells supervisors, the conversation nobody answers.
@Suite struct PromiseKeeperOnMemoryTests {
    let ana = Viewer(Staff.ana), bea = Viewer(Staff.bea), luis = Viewer(Staff.luis), marta = Viewer(Staff.marta)

    func keeper(_ core: CoreOnMemory) -> PromiseKeeper {
        let clock = core.clock
        return PromiseKeeper(
            store: core.store, policy: core.policy.assignment, events: core.events, now: { clock.now }, logger: Logger(label: "test"))
    }

    @Test func theOwnerIsWarnedAtEightyPercentAndABreachEscalatesToTheSupervisors() async throws {
        let core = try await CoreOnMemory(policy: Plans.policy(firstResponse: .seconds(100)))
        let keeper = keeper(core)
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        let (anaInbox, luisInbox, martaInbox) = (EventInbox(core.events, ana), EventInbox(core.events, luis), EventInbox(core.events, marta))

        core.clock.advance(79)
        try await keeper.tick()
        #expect(try await anaInbox.settledTypes().isEmpty, "not yet 80 %")

        core.clock.advance(2)
        try await keeper.tick()
        #expect(try await anaInbox.settledTypes() == ["sla.warning"])
        #expect(try await core.conversation(id).escalated == false)

        core.clock.advance(20)
        try await keeper.tick()
        #expect(try await anaInbox.settledTypes() == ["sla.breached", "message.created"])
        #expect(try await martaInbox.settledTypes().contains("sla.breached"))
        #expect(try await luisInbox.settledTypes().isEmpty)
        let breached = try await core.conversation(id)
        #expect(breached.escalated)
        #expect(breached.messages.last?.body == "Response overdue (due 2027-01-15T08:01:40Z): escalated to the team's supervisors")
        #expect(try await core.desk.escalations(for: marta, limit: 10).map(\.id) == [id])

        try await keeper.tick()
        #expect(try await anaInbox.settledTypes().isEmpty, "a breach is reported once")
    }

    @Test func anUnansweredConversationMovesToAColleagueAndTheOwnerStays() async throws {
        let core = try await CoreOnMemory(policy: Plans.policy(rules: RoutingRules(reassignAfter: .seconds(300))))
        let keeper = keeper(core)
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        let beaInbox = EventInbox(core.events, bea)

        core.clock.advance(299)
        try await keeper.tick()
        #expect(try await core.conversation(id).assignee == "ana")

        core.clock.advance(2)
        try await keeper.tick()
        let moved = try await core.conversation(id)
        #expect(moved.owner == "ana")
        #expect(moved.assignee == "bea", "the least-loaded colleague (ties by id)")
        #expect(moved.messages.last?.body == "No reply to the customer for 300s: moved from ana to bea, ana stays the owner")
        #expect(try await beaInbox.settle().compactMap(\.assigned).map(\.assignee) == ["bea"])

        try await keeper.tick()
        #expect(try await core.conversation(id).assignee == "bea", "its timer restarted")

        // Bea answers: nothing moves any more.
        _ = try await core.desk.reply(to: id, body: "Sorry for the wait", inReplyTo: nil, via: nil, by: bea)
        core.clock.advance(3600)
        try await keeper.tick()
        #expect(try await core.conversation(id).assignee == "bea")
    }

    @Test func whenNobodyElseCanTakeItTheConversationIsLookedAtAgainAfterAnotherFullWait() async throws {
        let core = try await CoreOnMemory(policy: Plans.policy(rules: RoutingRules(reassignAfter: .seconds(300))))
        let keeper = keeper(core)
        try await core.store.setAgentStatus("bea", .away)
        try await core.store.setAgentStatus("luis", .away)
        let id = try await core.receive("c1", from: "ann").conversation.id

        core.clock.advance(301)
        try await keeper.tick()
        #expect(try await core.conversation(id).assignee == "ana")
        #expect(try await core.store.promisesDue(now: core.clock.now.addingTimeInterval(1), staleAfter: .seconds(300), limit: 10).isEmpty)

        try await core.store.setAgentStatus("luis", .available)
        core.clock.advance(300)
        try await keeper.tick()
        #expect(try await core.conversation(id).assignee == "luis")
    }

    @Test func aBrokenResolutionPromiseEscalatesEvenAfterAnAnswer() async throws {
        let core = try await CoreOnMemory(policy: Plans.policy(resolution: .seconds(1000)))
        let keeper = keeper(core)
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        core.clock.advance(10)
        _ = try await core.desk.reply(to: id, body: "Looking into it", inReplyTo: nil, via: nil, by: ana)
        let martaInbox = EventInbox(core.events, marta)

        core.clock.advance(991)
        try await keeper.tick()
        let late = try await core.conversation(id)
        #expect(late.escalated)
        #expect(late.messages.last?.body == "Resolution overdue (due 2027-01-15T08:16:40Z): escalated to the team's supervisors")
        #expect(try await martaInbox.settledTypes().contains("sla.breached"))
    }
}
