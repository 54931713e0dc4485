import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Attachment contents: stored with the message, once per content, read back.
extension StoreConformance {
    static let attachmentScenarios: [StoreScenario] = [
        StoreScenario("attachment contents round-trip and the same file is stored once", on: attachmentContentsRoundTrip),
        StoreScenario("a retried message stores nothing twice and keeps its content", on: aRetriedMessageKeepsItsContent),
    ]

    static func attachmentMail(_ id: String, from: String, attachments: [Attachment]) -> IngestItem {
        IngestItem(
            adapter: "mail",
            event: .message(
                InboundMessage(
                    externalID: id, from: ChannelIdentity(channel: "email", address: from), text: "see attached", attachments: attachments)),
            receivedAt: Date())
    }

    @Sendable static func attachmentContentsRoundTrip(_ store: any Store) async throws {
        let pdf = Data("%PDF-1.4\n".utf8) + Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let logo = Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x0D, 0x0A])
        let first = try await store.ingest(
            [
                attachmentMail(
                    "m1", from: "a@x",
                    attachments: [
                        Attachment(kind: "document", mimeType: "application/pdf", fileName: "invoice.pdf", size: pdf.count, content: pdf),
                        Attachment(kind: "image", mimeType: "image/png", fileName: "logo.png", size: logo.count, content: logo),
                        Attachment(kind: "location", details: ["latitude": "1"]),
                    ])
            ], policy: TestAgents.policy)[0]
        // Another customer sends the same logo: one row of content, two messages naming it.
        let second = try await store.ingest(
            [
                attachmentMail(
                    "m2", from: "b@x",
                    attachments: [
                        Attachment(kind: "image", mimeType: "image/png", fileName: "sig.png", content: logo)
                    ])
            ], policy: TestAgents.policy)[0]

        let firstID = try #require(first.messageID)
        let secondID = try #require(second.messageID)
        let conversationID = try #require(first.conversationID)
        let recorded = try #require(first.message?.attachments)
        #expect(recorded.map(\.stored) == [true, true, nil])
        #expect(recorded.allSatisfy { $0.content == nil }, "the message's record never carries the bytes")
        #expect(recorded[0].sha256 == Attachment.sha256Hex(pdf))
        #expect(recorded[0].size == pdf.count)

        let invoice = try #require(try await store.attachment(message: firstID, index: 0))
        #expect(invoice.content == pdf)
        #expect(invoice.attachment.fileName == "invoice.pdf")
        #expect(invoice.attachment.mimeType == "application/pdf")
        let firstLogo = try await store.attachment(message: firstID, index: 1)
        let secondLogo = try await store.attachment(message: secondID, index: 0)
        #expect(firstLogo?.content == logo)
        #expect(secondLogo?.content == logo)
        #expect(secondLogo?.attachment.fileName == "sig.png", "the name is the message's, not the first sender's")
        #expect(firstLogo?.attachment.sha256 == secondLogo?.attachment.sha256)

        // What the conversation view shows carries the digest, not the bytes.
        let detail = try #require(try await store.conversation(conversationID))
        let shown = try #require(detail.messages.first { $0.id == first.messageID }?.attachments)
        #expect(shown[1].sha256 == Attachment.sha256Hex(logo))
        #expect(String(decoding: JSONCoding.encode(shown), as: UTF8.self).contains("content") == false)

        // Metadata only: listed, no bytes; unknown index or message: nothing.
        let location = try await store.attachment(message: firstID, index: 2)
        #expect(location?.content == nil)
        #expect(location?.attachment.kind == "location")
        #expect(try await store.attachment(message: firstID, index: 3) == nil)
        #expect(try await store.attachment(message: 999_999, index: 0) == nil)
    }

    @Sendable static func aRetriedMessageKeepsItsContent(_ store: any Store) async throws {
        let bytes = Data("report".utf8)
        let item = attachmentMail("m1", from: "a@x", attachments: [Attachment(kind: "document", fileName: "r.txt", content: bytes)])
        let first = try await store.ingest([item], policy: TestAgents.policy)[0]
        let again = try await store.ingest([item], policy: TestAgents.policy)[0]
        #expect(again.kind == IngestOutcome.Kind.duplicate)
        let id = try #require(first.messageID)
        #expect(try await store.attachment(message: id, index: 0)?.content == bytes)
    }
}
