import Foundation
import SwitchboardCore
import Testing

/// Folding one customer into another: who owns the thread, whether it is open, which promises hold.
@Suite struct MergePlannerTests {
    let now = Plans.now
    let refs = Staff.references

    func party(_ customer: Int64, _ conversation: ConversationState?, name: String? = nil, mergedInto: Int64? = nil) -> MergeParty {
        MergeParty(customer: customer, name: name, mergedInto: mergedInto, conversation: conversation)
    }

    func merge(_ survivor: MergeParty?, _ absorbed: MergeParty?, ids: (Int64, Int64) = (1, 2)) throws -> MergePlan {
        try MergePlanner.merge(
            survivor: survivor, absorbed: absorbed, survivorID: ids.0, absorbedID: ids.1, by: "marta", at: now, references: refs)
    }

    @Test func theEarlierConversationsOwnerOwnsTheMergedThread() throws {
        // Customer 2 wrote first (to Ana); customer 1, the survivor, later (to Luis).
        let later = Plans.conversation(11, customer: 1, owner: "luis", assignee: "luis", createdAt: now.addingTimeInterval(-3600))
        let earlier = Plans.conversation(12, customer: 2, owner: "ana", assignee: "ana", createdAt: now.addingTimeInterval(-86_400))
        let plan = try merge(party(1, later), party(2, earlier, name: "Ann"))
        #expect(plan.survivor.id == 11)
        #expect(plan.survivor.owner == "ana")
        #expect(plan.survivor.assignee == "ana")
        #expect(plan.absorbed.status == .merged)
        #expect(plan.absorbed.mergedInto == 11)
        #expect(plan.absorbed.assignee == nil)
        #expect(
            plan.survivorEvent(3)
                == "marta merged customer 2 (Ann) into this customer: 3 messages of \(refs.format(12)) joined this thread; ana owns it (owner of the earlier conversation)"
        )
        #expect(plan.absorbedEvent == "marta merged this customer into customer 1; the thread continues in \(refs.format(11))")
    }

    @Test func theMergedThreadIsOpenIfEitherWas() throws {
        let resolved = Plans.conversation(11, customer: 1, status: .resolved, owner: "luis", assignee: "luis")
        let open = Plans.conversation(12, customer: 2, owner: "ana", assignee: "ana", createdAt: now.addingTimeInterval(-60))
        let plan = try merge(party(1, resolved), party(2, open))
        #expect(plan.survivor.status == .open)
        #expect(plan.survivor.resolvedAt == nil)
        let bothResolved = try merge(party(1, resolved), party(2, Plans.conversation(12, customer: 2, status: .resolved)))
        #expect(bothResolved.survivor.status == .resolved)
        #expect(bothResolved.survivor.assignee == nil, "a resolved thread is nobody's work")
    }

    @Test func theNearestOfEachPromiseHoldsAndAnEscalationStays() throws {
        var survivor = Plans.conversation(11, customer: 1)
        survivor.firstResponseDue = now.addingTimeInterval(600)
        survivor.callbackDue = now.addingTimeInterval(120)
        survivor.awaitingSince = now.addingTimeInterval(-100)
        var absorbed = Plans.conversation(12, customer: 2)
        absorbed.firstResponseDue = now.addingTimeInterval(300)
        absorbed.slaWarnAt = now.addingTimeInterval(200)
        absorbed.awaitingSince = now.addingTimeInterval(-400)
        absorbed.escalated = true
        let plan = try merge(party(1, survivor), party(2, absorbed))
        #expect(plan.survivor.firstResponseDue == now.addingTimeInterval(300))
        #expect(plan.survivor.slaWarnAt == now.addingTimeInterval(200))
        #expect(plan.survivor.callbackDue == now.addingTimeInterval(120))
        #expect(plan.survivor.awaitingSince == now.addingTimeInterval(-400))
        #expect(plan.survivor.escalated)
        #expect(plan.absorbed.firstResponseDue == nil && plan.absorbed.callbackDue == nil, "no promise runs on the merged-away thread")
    }

    @Test func refusals() {
        let live = party(1, Plans.conversation(11, customer: 1))
        #expect(refusal { try merge(live, live, ids: (1, 1)) }?.status == 400)
        let missing = refusal { try merge(nil, party(2, Plans.conversation(12, customer: 2))) }
        #expect(missing?.status == 404)
        let gone = refusal { try merge(live, party(2, Plans.conversation(12, customer: 2), mergedInto: 5)) }
        #expect(gone?.status == 409 && gone?.code == "already_merged")
        let empty = refusal { try merge(live, party(2, nil)) }
        #expect(empty?.status == 409 && empty?.code == "no_conversation")
    }

    @Test func undoingNeedsAMergeLeftToUndo() throws {
        let error = refusal { try MergePlanner.unmerge(nil, customer: 1, by: "marta", references: refs) }
        #expect(error?.status == 409 && error?.code == "nothing_to_undo")
        let recorded = RecordedMerge(id: 4, survivor: 1, absorbed: 2, survivorConversation: 11, absorbedConversation: 12)
        let plan = try MergePlanner.unmerge(recorded, customer: 1, by: "marta", references: refs)
        #expect(plan.survivorEvent == "marta undid the merge of customer 2: their messages are back in \(refs.format(12))")
        #expect(plan.absorbedEvent == "marta undid the merge into customer 1: this conversation is restored")
    }

    @Test func twoConversationsWaitingOnTheirCustomersStayPendingWithTheNearerPromise() throws {
        var a = Plans.conversation(11, customer: 1, status: .pending, owner: "luis", assignee: "luis", createdAt: now)
        a.resolutionLeft = 7200
        var b = Plans.conversation(12, customer: 2, status: .pending, owner: "ana", assignee: "ana", createdAt: now.addingTimeInterval(-60))
        b.resolutionLeft = 3600
        let plan = try merge(party(1, a), party(2, b))
        #expect(plan.survivor.status == .pending)
        #expect(plan.survivor.assignee == "ana")  // the earlier conversation's agent keeps waiting with it
        #expect(plan.survivor.resolutionLeft == 3600)
        #expect(plan.survivor.resolutionDue == nil)
    }

    @Test func aPendingSideMergedIntoAnOpenOneBringsItsResolutionPromiseAlong() throws {
        var pending = Plans.conversation(11, customer: 1, status: .pending, owner: "luis", assignee: "luis")
        pending.resolutionLeft = 1800
        var open = Plans.conversation(12, customer: 2, owner: "ana", assignee: "ana")
        open.resolutionDue = now.addingTimeInterval(7200)
        let plan = try merge(party(1, pending), party(2, open))
        #expect(plan.survivor.status == .open)
        #expect(plan.survivor.resolutionLeft == nil)
        #expect(plan.survivor.resolutionDue == now.addingTimeInterval(1800))
    }
}
