import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// `@luis` in a note: Luis is told, may read that conversation (only that one) and answer in a
/// note, and the thread records it; he still cannot act on it otherwise.
@Suite struct AgentDeskMentionTests {
    let ana = Viewer(Staff.ana), luis = Viewer(Staff.luis), marta = Viewer(Staff.marta)

    @Test func findsMentionsOfConfiguredAgentsOnly() {
        let text = "@luis can you check? also @Marta. not ana@example.com nor @nobody, and @luis again; @ana-"
        #expect(MentionPlanner.mentioned(in: text, directory: Staff.directory, author: "ana").map(\.id) == ["luis", "marta"])
        #expect(MentionPlanner.mentioned(in: "@ana-, @bea", directory: Staff.directory, author: "ana").map(\.id) == ["bea"])
    }

    @Test func aMentionTellsAndGrantsReadingThatConversationOnly() async throws {
        let core = try await CoreOnMemory()
        let desk = core.desk
        let mine = try await core.onlyAvailable(Staff.ana) { try await core.receive("m1", from: "olga", name: "Olga", text: "refund?") }
        let other = try await core.onlyAvailable(Staff.ana) { try await core.receive("m2", from: "pat", name: "Pat", text: "hello") }
        let id = mine.conversation.id
        #expect(await refused { try await desk.conversation(id, for: luis) }?.status == 403)

        let inbox = EventInbox(core.events, luis)
        let note = try await desk.note(on: id, body: "@luis could you look at the refund?", by: ana)
        #expect(note.direction == .note)
        let event = try await inbox.next("mention.created")
        let mention = try JSONCoding.decode(Mention.self, from: event.data)
        #expect(mention.agent == "luis" && mention.author == "ana" && mention.conversation == id && mention.message == note.id)
        #expect(mention.customer.name == "Olga" && mention.reference == Staff.references.format(id))

        // Recorded in the thread; listed for Luis.
        let thread = try await desk.conversation(id, for: luis)
        #expect(
            thread.messages.contains {
                $0.direction == .event && $0.body.contains("ana mentioned Luis Gómez (luis)") && $0.body.contains("luis may now read")
            })
        #expect(try await desk.mentions(for: luis, before: nil, limit: 10).map(\.message) == [note.id])
        #expect(try await desk.mentions(for: ana, before: nil, limit: 10).isEmpty)

        // He reads it (thread, customer, search) and answers in a note; the new note reaches his stream.
        #expect(try await desk.customer(mine.customer, for: luis).id == mine.customer)
        #expect(try await desk.search(SearchRequest(text: "refund"), for: luis).results.contains { $0.conversation == id })
        let answer = try await desk.note(on: id, body: "@ana it left yesterday", by: luis)
        #expect(answer.author == "luis")
        _ = try await inbox.settle()
        let sent = try await desk.reply(to: id, body: "On its way", inReplyTo: nil, via: nil, by: ana)
        let later = try await inbox.settle()
        #expect(
            later.contains {
                $0.type == "message.created" && $0.conversationID == id && (try? JSONCoding.decode(MessageRecord.self, from: $0.data))?.id == sent.id
            },
            "the conversation's live events reach him")

        // Only that one, and nothing else than reading and notes.
        #expect(await refused { try await desk.conversation(other.conversation.id, for: luis) }?.status == 403)
        #expect(await refused { try await desk.reply(to: id, body: "hi", inReplyTo: nil, via: nil, by: luis) }?.status == 403)
        #expect(await refused { try await desk.resolve(id, by: luis) }?.status == 403)
        #expect(await refused { try await desk.tag(id, tags: ["x"], by: luis) }?.status == 403)
        #expect(await refused { try await desk.escalate(id, reason: "r", by: luis) }?.status == 403)
        #expect(try await desk.conversations(for: luis, status: .all, limit: 10).isEmpty, "his inbox stays his own work")
    }
}
