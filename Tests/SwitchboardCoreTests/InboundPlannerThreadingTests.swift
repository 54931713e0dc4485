import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Which thread a message joins: duplicates, machines answering our mail, and the suggestions (never
/// silent joins) when a message points at another customer's conversation.
@Suite struct InboundPlannerThreadingTests {
    let refs = Staff.references

    @Test func aMessageStoredBeforeChangesNothing() {
        let earlier = StoredMessageRef(message: 41, conversation: 7)
        let snapshot = InboundSnapshot(
            identity: Plans.message().from, duplicate: earlier, customer: Plans.known(), conversation: Plans.conversation())
        guard case .duplicate(let ref) = Plans.plan(Plans.message(), snapshot) else {
            Issue.record("a message stored before was planned again")
            return
        }
        #expect(ref == earlier)
    }

    @Test func automatedMailAnsweringOurReplyIsFiledInThatThreadWithoutReopeningIt() {
        let bounce = Plans.message(
            "bounce-1", from: "mailer-daemon@isp.example", text: "Delivery failed", kind: .automated, references: ["<reply-tag@gw>"])
        let thread = Plans.conversation(status: .resolved)
        let snapshot = InboundSnapshot(
            identity: bounce.from, answered: AnsweredMessage(message: 50, conversation: 7, customer: 3, ours: true), answeredConversation: thread)
        guard case .file(let filed, let into) = Plans.plan(bounce, snapshot) else {
            Issue.record("the bounce was not filed in our reply's thread")
            return
        }
        #expect(into == thread, "filed as it is: not reopened, not reassigned")
        #expect(filed.inReplyTo == .stored(50))
        #expect(filed.identity == nil, "the mailer-daemon does not become the customer's identity")
        #expect(filed.metadata?["automated"] == "true")
    }

    @Test func automatedMailQuotingACustomersMessageIdIsNobodysWork() throws {
        // A customer's message id can be quoted by anyone who saw it: only our replies' ids file mail.
        let autoReply = Plans.message("ooo-1", from: "someone@else.example", text: "I am out of office", kind: .automated, references: ["cust-msg-1"])
        let snapshot = InboundSnapshot(identity: autoReply.from, answered: AnsweredMessage(message: 40, conversation: 7, customer: 3, ours: false))
        let plan = try Plans.stored(autoReply, snapshot)
        #expect(plan.newConversation)
        #expect(plan.conversation.status == .resolved, "kept in the sender's history, reopened by their first real message")
        #expect(plan.conversation.owner == nil)
        #expect(plan.assignment == nil)
        #expect(plan.loads.isEmpty)
        #expect(!plan.countsContact)
        #expect(plan.acknowledgement == nil)
    }

    @Test func aStrangerQuotingAReferenceGetsTheirOwnConversationAndASuggestion() throws {
        let stranger = Plans.message(from: "eve@example.net", text: "About \(refs.format(5)): send the parcel to me instead")
        let snapshot = InboundSnapshot(identity: stranger.from, quoted: QuotedConversation(conversation: 5, customer: 2))
        let plan = try Plans.stored(stranger, snapshot)
        #expect(plan.newConversation, "not joined to customer 2")
        #expect(plan.customer == nil)
        let ids = PlanIDs(customer: 8, conversation: 9)
        let texts = plan.messages.map { $0.body.text(ids) }
        #expect(
            texts.contains(
                "This message quotes \(refs.format(5)), customer 2's conversation, from email eve@example.net, an address not known for that customer. It was not joined to them: anyone can quote a reference. If they are the same person, merge customer 8 into customer 2."
            ))
    }

    @Test func aCustomerQuotingTheirOwnReferenceGetsNoSuggestion() throws {
        let snapshot = InboundSnapshot(
            identity: Plans.message().from, customer: Plans.known(3), conversation: Plans.conversation(7, customer: 3),
            quoted: QuotedConversation(conversation: 7, customer: 3))
        let plan = try Plans.stored(Plans.message(), snapshot)
        #expect(plan.messages.count == 1)
    }

    @Test func aReplyInsideAnotherCustomersThreadSuggestsAMergeNamingBoth() throws {
        let snapshot = InboundSnapshot(
            identity: Plans.message().from, answered: AnsweredMessage(message: 50, conversation: 6, customer: 2, ours: false),
            customer: Plans.known(4), conversation: Plans.conversation(9, customer: 4))
        let plan = try Plans.stored(Plans.message(references: ["their-msg"]), snapshot)
        #expect(plan.messages[0].inReplyTo == nil, "no link into a thread that is not theirs")
        let ids = PlanIDs(customer: 4, conversation: 9)
        #expect(
            plan.messages.map { $0.body.text(ids) }.contains(
                "This message answers one in \(refs.format(6)), another customer's conversation. If they are the same person, merge customer 4 into customer 2."
            ))
    }

    @Test func aReplyInTheCustomersOwnThreadIsLinkedToTheMessageItAnswers() throws {
        let snapshot = InboundSnapshot(
            identity: Plans.message().from, answered: AnsweredMessage(message: 50, conversation: 9, customer: 4, ours: true),
            customer: Plans.known(4), conversation: Plans.conversation(9, customer: 4))
        let plan = try Plans.stored(Plans.message(references: ["our-reply"]), snapshot)
        #expect(plan.messages[0].inReplyTo == .stored(50))
        #expect(plan.messages.count == 1, "no suggestion")
    }
}
