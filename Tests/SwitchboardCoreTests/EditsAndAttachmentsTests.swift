import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

@Suite struct EditsAndAttachmentsTests {
    func message(_ id: String, text: String, attachments: [SwitchboardAdapterAPI.Attachment] = []) -> InboundMessage {
        InboundMessage(externalID: id, from: ChannelIdentity(channel: "phone", address: "+34600000001"), text: text, attachments: attachments)
    }

    @Test func attachmentsAreStoredWithTheMessage() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let photo = SwitchboardAdapterAPI.Attachment(kind: "image", mimeType: "image/jpeg", platformID: "media-1", details: ["sha256": "abc"])
        let o = try await t.store.ingest(
            [IngestItem(adapter: "wa", event: .message(message("w1", text: "the broken box", attachments: [photo])), receivedAt: Date())],
            policy: TestAgents.policy)
        let detail = try #require(try await t.store.conversation(o[0].conversationID!))
        #expect(detail.messages.first { $0.direction == .inbound }?.attachments == [photo])
    }

    @Test func anEditChangesTheOriginalAndKeepsWhatWasFirstWritten() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest(
            [IngestItem(adapter: "wa", event: .message(message("w1", text: "helo")), receivedAt: Date())], policy: TestAgents.policy)[0]
        let edit = IngestItem(adapter: "wa", event: .edit(message("w1", text: "hello"), editedAt: Date()), receivedAt: Date())
        let outcomes = try await t.store.ingest([edit, edit], policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.edited, .duplicate])
        #expect(outcomes[0].messageID == first.messageID)
        let detail = try #require(try await t.store.conversation(first.conversationID!))
        let inbound = detail.messages.filter { $0.direction == .inbound }
        #expect(inbound.count == 1)
        #expect(inbound[0].body == "hello")
        #expect(inbound[0].originalBody == "helo")
        #expect(inbound[0].editedAt != nil)
        #expect(detail.customer.contacts == 1, "an edit is not a new contact")
    }

    @Test func anEditOfAnUnknownMessageIsStoredAsItStands() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let o = try await t.store.ingest(
            [IngestItem(adapter: "wa", event: .edit(message("never-seen", text: "edited text"), editedAt: nil), receivedAt: Date())],
            policy: TestAgents.policy)
        #expect(o[0].kind == .stored)
        #expect(o[0].message?.metadata?["edited"] == "true")
    }
}
