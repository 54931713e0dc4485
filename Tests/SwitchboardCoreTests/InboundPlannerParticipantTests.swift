import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Reply-all in the planner: whom a mail names becomes the conversation's participants, and a
/// participant who writes into the conversation joins it instead of becoming a new customer.
@Suite struct InboundPlannerParticipantTests {
    func bobsAnswer(participants: String? = "ann@team.example, carol@team.example") -> InboundMessage {
        var message = Plans.message("bob-1", from: "bob@team.example", name: "Bob", text: "Adding to Ann's question", references: ["ann-1"])
        message.metadata[InboundMessage.participantsKey] = participants
        return message
    }

    func snapshot(_ message: InboundMessage, joinable: ConversationState?) -> InboundSnapshot {
        InboundSnapshot(
            identity: message.from, answered: AnsweredMessage(message: 40, conversation: 7, customer: 3, ours: false), participantOf: joinable)
    }

    @Test func whomAMailNamesAreRecordedAsParticipants() throws {
        var message = Plans.message()
        message.metadata[InboundMessage.participantsKey] = "Bob@Team.example, carol@team.example"
        let plan = try Plans.stored(message)
        #expect(
            plan.participants == [
                ChannelIdentity(channel: "email", address: "bob@team.example"), ChannelIdentity(channel: "email", address: "carol@team.example"),
            ])
        let automated = Plans.message("ooo", kind: .automated)
        #expect(try Plans.stored(automated).participants.isEmpty)
    }

    @Test func aParticipantAnsweringAnOpenConversationJoinsIt() throws {
        let message = bobsAnswer()
        let plan = try Plans.stored(message, snapshot(message, joinable: Plans.conversation()))
        #expect(!plan.newConversation)
        #expect(plan.conversation.id == 7)
        #expect(plan.customer?.id == 3, "Ann's customer, not a new one")
        #expect(plan.customerName == nil, "Bob's name is not given to Ann's customer")
        #expect(plan.messages[0].identity == nil, "Bob does not become an identity of Ann's customer")
        #expect(plan.messages[0].inReplyTo == .stored(40))
        let texts = plan.messages.map { $0.body.text(Plans.ids) }
        #expect(texts.contains { $0.contains("bob@team.example") && $0.contains("participant") })
        #expect(!texts.contains { $0.contains("merge customer") })
        #expect(plan.conversation.assignee == "ana", "the owner keeps it")
        #expect(plan.participants.map(\.address) == ["ann@team.example", "carol@team.example"])
    }

    @Test func aParticipantOfAResolvedConversationGetsTheirOwnAndASuggestion() throws {
        let message = bobsAnswer()
        let plan = try Plans.stored(message, snapshot(message, joinable: Plans.conversation(status: .resolved)))
        #expect(plan.newConversation)
        #expect(plan.customer == nil)
        #expect(
            plan.messages.map { $0.body.text(PlanIDs(customer: 8, conversation: 9)) }.contains { $0.contains("merge customer 8 into customer 3") })
    }

    @Test func theCandidateIsAnotherCustomersConversationAnsweredOrQuoted() {
        let message = bobsAnswer()
        var read = InboundSnapshot(identity: message.from, answered: AnsweredMessage(message: 40, conversation: 7, customer: 3, ours: false))
        #expect(InboundSnapshot.participantCandidate(message, read).map { [$0.conversation, $0.customer] } == [7, 3])
        read.customer = Plans.known(3)
        #expect(InboundSnapshot.participantCandidate(message, read) == nil, "their own conversation: nothing to join")
        let quoting = InboundSnapshot(identity: message.from, quoted: QuotedConversation(conversation: 5, customer: 2))
        #expect(InboundSnapshot.participantCandidate(message, quoting).map { [$0.conversation, $0.customer] } == [5, 2])
        let machine = Plans.message("ooo", kind: .automated, references: ["ann-1"])
        #expect(InboundSnapshot.participantCandidate(machine, read) == nil)
    }
}
