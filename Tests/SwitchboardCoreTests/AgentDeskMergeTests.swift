import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// One person who wrote from two addresses: merged into one customer by someone who sees both,
/// and split again by a supervisor.
@Suite struct AgentDeskMergeTests {
    let ana = Viewer(Staff.ana), luis = Viewer(Staff.luis), marta = Viewer(Staff.marta)

    /// Ann wrote by chat first (Ana's customer) and later by mail (Luis's).
    func twoAddresses() async throws -> (CoreOnMemory, chat: StoredInbound, mail: StoredInbound) {
        let core = try await CoreOnMemory(adapters: [RecordingAdapter("chat"), RecordingAdapter("mail")])
        let chat = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann-chat", via: "chat", name: "Ann") }
        core.clock.advance(3600)
        let mail = try await core.onlyAvailable(Staff.luis) { try await core.receive("m1", from: "ann@example.com", via: "mail") }
        #expect(chat.customer != mail.customer)
        return (core, chat, mail)
    }

    @Test func anAgentWhoCannotSeeBothCustomersCannotMergeThem() async throws {
        let (core, chat, mail) = try await twoAddresses()
        #expect(await refused { try await core.desk.merge(chat.customer, with: mail.customer, by: ana) }?.status == 403)
        #expect(try await core.store.customer(mail.customer, now: core.clock.now)?.mergedInto == nil)
        #expect(try await core.conversation(chat.conversation.id).messages.count == 2)
    }

    @Test func mergingMakesOneThreadOwnedByTheEarlierConversationsOwner() async throws {
        let (core, chat, mail) = try await twoAddresses()
        let luisInbox = EventInbox(core.events, luis)
        let merged = try await core.desk.merge(mail.customer, with: chat.customer, by: marta)
        #expect(merged.id == mail.customer)
        #expect(Set(merged.identities.map(\.address)) == ["ann-chat", "ann@example.com"])
        #expect(merged.name == "Ann", "the survivor takes the absorbed customer's name when it had none")
        let thread = try await core.conversation(mail.conversation.id)
        #expect(thread.owner == "ana", "Ana knew Ann first")
        #expect(thread.messages.contains { $0.id == chat.message.id })
        #expect(thread.messages.last?.body.hasPrefix("marta merged customer \(chat.customer) (Ann) into this customer") == true)
        let absorbed = try await core.conversation(chat.conversation.id)
        #expect(absorbed.status == .merged)
        #expect(absorbed.mergedInto == mail.conversation.id)
        // Luis had the mail conversation: he is told where it went.
        #expect(try await luisInbox.settledTypes().contains("conversation.assigned"))
        // Ann writing again by chat lands in the merged thread.
        let next = try await core.receive("c2", from: "ann-chat", via: "chat")
        #expect(next.conversation.id == mail.conversation.id)
    }

    @Test func aSupervisorUndoesTheMerge() async throws {
        let (core, chat, mail) = try await twoAddresses()
        _ = try await core.desk.merge(mail.customer, with: chat.customer, by: marta)
        let restored = try await core.desk.unmerge(mail.customer, by: marta)
        #expect(restored.identities.map(\.address) == ["ann@example.com"])
        let chatThread = try await core.conversation(chat.conversation.id)
        #expect(chatThread.status == .open)
        #expect(chatThread.owner == "ana")
        #expect(chatThread.messages.contains { $0.id == chat.message.id })
        #expect(try await core.conversation(mail.conversation.id).owner == "luis")
        let again = await refused { try await core.desk.unmerge(mail.customer, by: marta) }
        #expect(again?.status == 409 && again?.code == "nothing_to_undo")
    }
}
