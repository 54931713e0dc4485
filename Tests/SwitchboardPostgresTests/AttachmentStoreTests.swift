import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Swift Testing has an `Attachment` of its own.
private typealias Attachment = SwitchboardAdapterAPI.Attachment

/// Attachment contents on both engines: stored with the message, once per content, read back.
@Suite struct AttachmentStoreTests {
    private func message(_ id: String, from: String, attachments: [Attachment]) -> IngestItem {
        IngestItem(
            adapter: "mail",
            event: .message(InboundMessage(
                externalID: id, from: ChannelIdentity(channel: "email", address: from), text: "see attached", attachments: attachments)),
            receivedAt: Date())
    }

    @Test(arguments: Engine.allCases)
    func contentsRoundTripAndTheSameFileIsStoredOnce(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        defer { Task { await t.cleanup() } }
        let pdf = Data("%PDF-1.4\n".utf8) + Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let logo = Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x0D, 0x0A])
        let first = try await t.store.ingest([message("m1", from: "a@x", attachments: [
            Attachment(kind: "document", mimeType: "application/pdf", fileName: "invoice.pdf", size: pdf.count, content: pdf),
            Attachment(kind: "image", mimeType: "image/png", fileName: "logo.png", size: logo.count, content: logo),
            Attachment(kind: "location", details: ["latitude": "1"]),
        ])], policy: TestAgents.policy)[0]
        // Another customer sends the same logo: one row of content, two messages naming it.
        let second = try await t.store.ingest([message("m2", from: "b@x", attachments: [
            Attachment(kind: "image", mimeType: "image/png", fileName: "sig.png", content: logo),
        ])], policy: TestAgents.policy)[0]

        let firstID = try #require(first.messageID)
        let secondID = try #require(second.messageID)
        let conversationID = try #require(first.conversationID)
        let recorded = try #require(first.message?.attachments)
        #expect(recorded.map(\.stored) == [true, true, nil])
        #expect(recorded.allSatisfy { $0.content == nil }, "the message's record never carries the bytes")
        #expect(recorded[0].sha256 == Attachment.sha256Hex(pdf))
        #expect(recorded[0].size == pdf.count)

        let invoice = try #require(try await t.store.attachment(message: firstID, index: 0))
        #expect(invoice.content == pdf)
        #expect(invoice.attachment.fileName == "invoice.pdf")
        #expect(invoice.attachment.mimeType == "application/pdf")
        let firstLogo = try await t.store.attachment(message: firstID, index: 1)
        let secondLogo = try await t.store.attachment(message: secondID, index: 0)
        #expect(firstLogo?.content == logo)
        #expect(secondLogo?.content == logo)
        #expect(secondLogo?.attachment.fileName == "sig.png", "the name is the message's, not the first sender's")
        #expect(firstLogo?.attachment.sha256 == secondLogo?.attachment.sha256)

        // What the conversation view shows carries the digest, not the bytes.
        let detail = try #require(try await t.store.conversation(conversationID))
        let shown = try #require(detail.messages.first { $0.id == first.messageID }?.attachments)
        #expect(shown[1].sha256 == Attachment.sha256Hex(logo))
        #expect(String(decoding: JSONCoding.encode(shown), as: UTF8.self).contains("content") == false)

        // Metadata only: listed, no bytes; unknown index or message: nothing.
        let location = try await t.store.attachment(message: firstID, index: 2)
        #expect(location?.content == nil)
        #expect(location?.attachment.kind == "location")
        #expect(try await t.store.attachment(message: firstID, index: 3) == nil)
        #expect(try await t.store.attachment(message: 999_999, index: 0) == nil)
    }

    @Test(arguments: Engine.allCases)
    func aRetriedMessageStoresNothingTwiceAndKeepsItsContent(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        defer { Task { await t.cleanup() } }
        let bytes = Data("report".utf8)
        let item = message("m1", from: "a@x", attachments: [Attachment(kind: "document", fileName: "r.txt", content: bytes)])
        let first = try await t.store.ingest([item], policy: TestAgents.policy)[0]
        let again = try await t.store.ingest([item], policy: TestAgents.policy)[0]
        #expect(again.kind == IngestOutcome.Kind.duplicate)
        let id = try #require(first.messageID)
        #expect(try await t.store.attachment(message: id, index: 0)?.content == bytes)
    }
}
