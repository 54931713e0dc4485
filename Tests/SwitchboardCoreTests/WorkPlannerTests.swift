import Foundation
import SwitchboardCore
import Testing

/// Work moving outside ingestion: promises coming due, conversations waiting too long, an agent
/// becoming available, agents leaving the configuration.
@Suite struct WorkPlannerTests {
    let now = Plans.now

    var unanswered: ConversationState {
        var state = Plans.conversation(owner: "ana", assignee: "ana")
        state.awaitingSince = now.addingTimeInterval(-900)
        state.firstResponseDue = now.addingTimeInterval(-60)
        return state
    }

    @Test func aWarningIsOnlyRememberedWhileABreachEscalates() {
        let warned = WorkPlanner.markPromise(unanswered, .warning, event: nil, at: now)
        #expect(warned.state.slaWarned)
        #expect(!warned.state.escalated)
        #expect(warned.messages.isEmpty)
        let breached = WorkPlanner.markPromise(unanswered, .breach, event: "Response overdue", at: now)
        #expect(breached.state.slaBreached && breached.state.slaWarned)
        #expect(breached.state.escalated)
        #expect(breached.messages.map { $0.body.text(Plans.ids) } == ["Response overdue"])
        let late = WorkPlanner.markPromise(unanswered, .resolution, event: "Resolution overdue", at: now)
        #expect(late.state.resolutionBreached && late.state.escalated)
        #expect(!late.state.slaBreached, "the response promise was not broken")
        #expect(WorkPlanner.markPromise(unanswered, .stale, event: nil, at: now).state.reassignedAt == now)
    }

    @Test func aStaleConversationMovesWhileTheOwnerStays() throws {
        let plan = try #require(WorkPlanner.reassignStale(unanswered, from: "ana", to: "luis", reason: "No reply for 15 min", at: now))
        #expect(plan.state.owner == "ana")
        #expect(plan.state.assignee == "luis")
        #expect(plan.state.reassignedAt == now, "the timer restarts")
        #expect(plan.loads == [.unassigned("ana"), .assigned("luis")])
        #expect(plan.messages.map { $0.body.text(Plans.ids) } == ["No reply for 15 min"])
    }

    @Test func aStaleReassignmentIsDroppedWhenAnythingChangedSinceTheDecision() {
        var answered = unanswered
        answered.awaitingSince = nil
        #expect(WorkPlanner.reassignStale(answered, from: "ana", to: "luis", reason: "r", at: now) == nil, "answered meanwhile")
        var moved = unanswered
        moved.assignee = "bea"
        #expect(WorkPlanner.reassignStale(moved, from: "ana", to: "luis", reason: "r", at: now) == nil, "someone else moved it")
        var resolved = unanswered
        resolved.status = .resolved
        #expect(WorkPlanner.reassignStale(resolved, from: "ana", to: "luis", reason: "r", at: now) == nil, "resolved meanwhile")
    }

    @Test func anAvailableAgentGetsTheirCoveredCustomersBackThenTheOldestWaitingWithinCapacity() {
        var covered = Plans.conversation(10, owner: "ana", assignee: "bea")
        covered.lastMessageAt = now
        // Oldest first, as the engine selects them; 22 waits for its owner Luis.
        let waiting: [ConversationState] = [
            Plans.conversation(21, customer: 21, owner: nil, assignee: nil, createdAt: now.addingTimeInterval(-3000)),
            Plans.conversation(22, customer: 22, owner: "luis", assignee: nil, createdAt: now.addingTimeInterval(-2000)),
            Plans.conversation(23, customer: 23, owner: nil, assignee: nil, createdAt: now.addingTimeInterval(-1000)),
        ]
        let plans = WorkPlanner.takeWork(
            agent: "ana", returnToOwner: true, capacity: 3, covered: [covered], waiting: waiting, loads: Plans.loads(["ana": 0, "bea": 1]), at: now)
        // Back to the owner first; then, with two places left, the two oldest waiting (in the order found).
        #expect(plans.map(\.state.id) == [10, 21, 22])
        #expect(plans.allSatisfy { $0.state.assignee == "ana" })
        #expect(plans[0].loads == [.unassigned("bea"), .assigned("ana")])
        #expect(plans[0].messages.map { $0.body.text(Plans.ids) } == ["ana is available again: back to the owner"])
        #expect(plans[1].state.owner == "ana")
        #expect(plans[1].messages.map { $0.body.text(Plans.ids) } == ["ana is available and takes the waiting conversation as its owner"])
        #expect(plans[2].state.owner == "luis", "a waiting conversation with an owner keeps them")
        #expect(plans[2].messages.map { $0.body.text(Plans.ids) } == ["ana is available and covers the waiting conversation; luis stays the owner"])
    }

    @Test func withoutReturnToOwnerCoveredCustomersStayWhereTheyAre() {
        let covered = Plans.conversation(10, owner: "ana", assignee: "bea")
        let plans = WorkPlanner.takeWork(
            agent: "ana", returnToOwner: false, capacity: nil, covered: [covered], waiting: [], loads: Plans.loads(), at: now)
        #expect(plans.isEmpty)
    }

    @Test func anAgentAtCapacityTakesNoWaitingWork() {
        let waiting = [Plans.conversation(21, owner: nil, assignee: nil)]
        let plans = WorkPlanner.takeWork(
            agent: "ana", returnToOwner: true, capacity: 2, covered: [], waiting: waiting, loads: Plans.loads(["ana": 2]), at: now)
        #expect(plans.isEmpty)
    }

    @Test func redistributionMovesTheLoadToTheNewAssignee() {
        let orphan = Plans.conversation(owner: "gone", assignee: "gone")
        let plan = WorkPlanner.redistribute(
            orphan, owner: "luis", assignee: "luis", reason: "gone left the configuration; luis takes the conversation as its owner", at: now)
        #expect(plan.state.owner == "luis" && plan.state.assignee == "luis")
        #expect(plan.loads == [.unassigned("gone"), .assigned("luis")])
        #expect(plan.messages.map { $0.body.text(Plans.ids) } == ["gone left the configuration; luis takes the conversation as its owner"])
    }
}
