import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Linking an address to a customer: a refusal must not tell an agent whose customer it is.
@Suite struct CustomerPlannerTests {
    let phone = ChannelIdentity(channel: "phone", address: "+34600123456")

    func link(holder: Int64?, revealHolder: Bool, conversation: ConversationState? = Plans.conversation(7, customer: 2)) throws -> PlannedMessage {
        try CustomerPlanner.link(phone, to: 2, conversation: conversation, holder: holder, by: "ana", revealHolder: revealHolder, at: Plans.now)
    }

    @Test func aTakenAddressNamesItsHolderOnlyToSupervisors() {
        let toSupervisor = refusal { try link(holder: 5, revealHolder: true) }
        #expect(toSupervisor?.status == 409 && toSupervisor?.code == "identity_taken")
        #expect(toSupervisor?.message == "phone +34600123456 belongs to customer 5; merge customer 5 into customer 2 instead")
        let toAgent = refusal { try link(holder: 5, revealHolder: false) }
        #expect(toAgent?.status == 409 && toAgent?.code == "identity_taken")
        #expect(toAgent?.message == "phone +34600123456 already belongs to another customer")
        #expect(toAgent?.message.contains("customer 5") == false)
    }

    @Test func theCustomersOwnAddressIsAlreadyLinked() {
        let error = refusal { try link(holder: 2, revealHolder: false) }
        #expect(error?.status == 409 && error?.code == "already_linked")
    }

    @Test func aCustomerWithoutALiveConversationIsNotFound() {
        #expect(refusal { try link(holder: nil, revealHolder: true, conversation: nil) }?.status == 404)
    }

    @Test func aFreeAddressIsLinkedWithAThreadLine() throws {
        let event = try link(holder: nil, revealHolder: false)
        #expect(event.direction == .event)
        #expect(event.author == "ana")
        #expect(event.body.text(Plans.ids) == "ana linked phone +34600123456 to this customer")
    }
}
