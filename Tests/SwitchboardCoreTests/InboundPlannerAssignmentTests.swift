import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Who gets a customer's message, and what the thread says about it.
@Suite struct InboundPlannerAssignmentTests {
    @Test func aNewCustomerGoesToTheLeastLoadedAgentWhoBecomesTheOwner() throws {
        let plan = try Plans.stored(Plans.message(), loads: Plans.loads(["ana": 3, "bea": 2, "luis": 1]))
        #expect(plan.newConversation)
        #expect(plan.customer == nil, "the engine creates the customer and the identity")
        #expect(plan.conversation.status == .open)
        #expect(plan.conversation.owner == "luis")
        #expect(plan.conversation.assignee == "luis")
        #expect(plan.conversation.team == "support")
        #expect(plan.loads == [.assigned("luis")])
        let reason = "new customer: luis is the least-loaded available agent of team support and becomes the owner"
        #expect(plan.assignment?.reason == reason)
        #expect(plan.assignmentText == reason)
        #expect(plan.countsContact)
    }

    @Test func aNewCustomerNobodyCanTakeWaitsForTheTeam() throws {
        let plan = try Plans.stored(Plans.message(), loads: Plans.loads(away: ["ana", "bea", "luis"]))
        #expect(plan.conversation.status == .open)
        #expect(plan.conversation.owner == nil)
        #expect(plan.conversation.assignee == nil)
        #expect(plan.loads.isEmpty)
        #expect(plan.assignmentText == "new customer: no agent of team support is available; waiting for a supervisor")
    }

    @Test func aReturningCustomerStaysWithTheirOwnerWithoutAThreadLine() throws {
        let existing = Plans.conversation(owner: "ana", assignee: "ana")
        let plan = try Plans.stored(Plans.message(), Plans.returning(existing), loads: Plans.loads(["ana": 9, "luis": 0]))
        #expect(!plan.newConversation)
        #expect(plan.conversation.id == existing.id)
        #expect(plan.conversation.owner == "ana")
        #expect(plan.conversation.assignee == "ana")
        #expect(plan.assignment == nil)
        #expect(plan.loads.isEmpty)
        #expect(plan.messages.count == 1, "only the customer's message")
        #expect(plan.messages[0].identity == .stored(30))
    }

    @Test func anAwayOwnersDeputyCoversAndTheOwnerStaysTheOwner() throws {
        // Luis carries less, but Ana named Bea as her deputy.
        let existing = Plans.conversation(owner: "ana", assignee: "ana")
        let plan = try Plans.stored(Plans.message(), Plans.returning(existing), loads: Plans.loads(["bea": 4, "luis": 0], away: ["ana"]))
        #expect(plan.conversation.owner == "ana")
        #expect(plan.conversation.assignee == "bea")
        #expect(plan.loads == [.unassigned("ana"), .assigned("bea")])
        #expect(plan.assignmentText == "ana is away; the deputy bea covers, ana stays the owner")
    }

    @Test func withoutADeputyTheLeastLoadedColleagueCovers() throws {
        let existing = Plans.conversation(owner: "luis", assignee: "luis")
        let plan = try Plans.stored(Plans.message(), Plans.returning(existing), loads: Plans.loads(["ana": 2, "bea": 1], away: ["luis"]))
        #expect(plan.conversation.owner == "luis")
        #expect(plan.conversation.assignee == "bea")
        #expect(plan.assignmentText == "luis is away; bea covers, luis stays the owner")
    }

    @Test func anOwnerWhoIsBackTakesTheirCustomerAgain() throws {
        let existing = Plans.conversation(owner: "ana", assignee: "bea")
        let plan = try Plans.stored(Plans.message(), Plans.returning(existing))
        #expect(plan.conversation.assignee == "ana")
        #expect(plan.loads == [.unassigned("bea"), .assigned("ana")])
        #expect(plan.assignmentText == "ana is available: back to the owner")
    }

    @Test func aResolvedConversationReopensAsANewRequest() throws {
        var resolved = Plans.conversation(status: .resolved, owner: "ana", assignee: "ana")
        resolved.resolvedAt = Plans.now.addingTimeInterval(-3600)
        resolved.answeredAt = Plans.now.addingTimeInterval(-7200)
        let policy = Plans.policy(firstResponse: .seconds(3600), nextResponse: .seconds(600), resolution: .seconds(8 * 3600))
        let plan = try Plans.stored(Plans.message(), Plans.returning(resolved), policy: policy)
        #expect(plan.conversation.status == .open)
        #expect(plan.conversation.resolvedAt == nil)
        #expect(plan.conversation.owner == "ana")
        #expect(plan.conversation.assignee == "ana")
        // A resolved conversation carries nobody's load: nothing to take off Ana first.
        #expect(plan.loads == [.assigned("ana")])
        #expect(plan.assignmentText == "reopened by the customer's new message; ana is available: back to the owner")
        // A new request: the first-response promise (not the next-response one) and a fresh resolution promise.
        #expect(plan.conversation.firstResponseDue == Plans.now.addingTimeInterval(3600))
        #expect(plan.conversation.resolutionDue == Plans.now.addingTimeInterval(8 * 3600))
    }

    @Test func aPendingConversationOpensAgainWithTheResolutionTimeItHadLeft() throws {
        var pending = Plans.conversation(status: .pending, owner: "ana", assignee: "ana")
        pending.resolutionLeft = 1800
        let policy = Plans.policy(resolution: .seconds(8 * 3600))
        let plan = try Plans.stored(Plans.message(), Plans.returning(pending), policy: policy)
        #expect(plan.conversation.status == .open)
        #expect(plan.conversation.resolutionDue == Plans.now.addingTimeInterval(1800), "resumed, not restarted")
        #expect(plan.conversation.resolutionLeft == nil)
        #expect(plan.assignment == nil, "the owner still has it")
        #expect(plan.loads.isEmpty, "a pending conversation already counts in Ana's load")
    }
}
