import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Files on replies: the channel's limits checked before queueing (each refusal naming the limit),
/// uploads only their uploader (or a supervisor) may send, forwarding a stored attachment, the
/// outbox handing the bytes to the adapter and a retry reusing the platform's media id, and the
/// signed URLs platforms fetch media from.
@Suite struct ReplyFileTests {
    let ana = Viewer(Staff.ana)
    static let limits = ReplyFileLimits(
        maxFiles: 2, maxTotalBytes: 1000,
        kinds: [
            .init("image", maxBytes: 100, mimeTypes: ["image/png"], label: "Test images"),
            .init("document", maxBytes: 800, mimeTypes: ["application/pdf"], label: "Test documents"),
        ])

    func file(_ name: String, _ type: String, bytes: Int) -> ReplyFile {
        ReplyFile(fileName: name, mimeType: type, content: Data(repeating: 0x41, count: bytes))
    }

    func refusal(_ files: [ReplyFile], limits: ReplyFileLimits? = Self.limits) -> ServiceError? {
        do {
            _ = try AttachmentRules.check(files, limits: limits, adapter: "wa")
            return nil
        } catch {
            return error as? ServiceError
        }
    }

    @Test func theLimitsAreCheckedAndEachRefusalNamesItsLimit() throws {
        let ok = try AttachmentRules.check(
            [file("a.png", "image/png", bytes: 10), file("b.pdf", "application/pdf", bytes: 700)], limits: Self.limits, adapter: "wa")
        #expect(ok.map(\.kind) == ["image", "document"])
        #expect(ok.map(\.size) == [10, 700])
        #expect(ok.allSatisfy { $0.content != nil }, "the store keeps the bytes")
        #expect(try AttachmentRules.check([], limits: nil, adapter: "wa").isEmpty)

        let tooBig = refusal([file("scan.pdf", "application/pdf", bytes: 900)])
        #expect(tooBig?.status == 422)
        #expect(tooBig?.code == "attachment_too_large")
        #expect(tooBig?.message.hasPrefix("Test documents are limited to 800 bytes") == true)
        let image = refusal([file("big.png", "image/png", bytes: 101)])
        #expect(image?.message.hasPrefix("Test images are limited to 100 bytes") == true)
        let type = refusal([file("run.exe", "application/x-msdownload", bytes: 1)])
        #expect(type?.code == "attachment_type_not_allowed")
        #expect(type?.message.contains("application/x-msdownload") == true)
        let many = refusal([file("a.png", "image/png", bytes: 1), file("b.png", "image/png", bytes: 1), file("c.png", "image/png", bytes: 1)])
        #expect(many?.code == "too_many_attachments")
        let total = refusal([file("a.pdf", "application/pdf", bytes: 600), file("b.pdf", "application/pdf", bytes: 600)])
        #expect(total?.code == "attachment_too_large")
        #expect(total?.message.contains("at most 1 KB of files per reply") == true)
        let textOnly = refusal([file("a.png", "image/png", bytes: 1)], limits: nil)
        #expect(textOnly?.code == "attachments_not_supported")
    }

    @Test func sizesReadAsAgentsSayThem() {
        #expect(formatByteSize(100_000_000) == "100 MB")
        #expect(formatByteSize(5_500_000) == "5.5 MB")
        #expect(formatByteSize(2048) == "2 KB")
        #expect(formatByteSize(12) == "12 bytes")
    }

    @Test func signedMediaLinksWorkUntilTheyExpireAndOnlyForWhatTheyName() throws {
        let links = MediaLinks(key: Staff.key, publicURL: "https://gw.example/", lifetime: .seconds(600))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let url = links.url(message: 42, index: 1, now: now)
        #expect(url.hasPrefix("https://gw.example/media/42/1?expires=1800000600&signature="))
        let signature = try #require(url.split(separator: "signature=").last.map(String.init))
        #expect(links.verify(message: 42, index: 1, expires: 1_800_000_600, signature: signature, now: now))
        #expect(links.verify(message: 42, index: 1, expires: 1_800_000_600, signature: signature.uppercased(), now: now))
        #expect(!links.verify(message: 42, index: 1, expires: 1_800_000_600, signature: signature, now: now.addingTimeInterval(601)))
        #expect(!links.verify(message: 42, index: 0, expires: 1_800_000_600, signature: signature, now: now), "another file")
        #expect(!links.verify(message: 43, index: 1, expires: 1_800_000_600, signature: signature, now: now), "another message")
        #expect(!links.verify(message: 42, index: 1, expires: 1_900_000_000, signature: signature, now: now), "a later expiry")
        #expect(!links.verify(message: 42, index: 1, expires: 1_800_000_600, signature: "", now: now))
        let otherKey = MediaLinks(key: GatewayKey(Array(repeating: 7, count: 32)), publicURL: "https://gw.example")
        #expect(!otherKey.verify(message: 42, index: 1, expires: 1_800_000_600, signature: signature, now: now), "another gateway's key")
    }

    func chat(_ core: CoreOnMemory) -> RecordingAdapter { core.adapters["chat"]!.adapter as! RecordingAdapter }

    @Test func anUploadGoesOutWithTheReplyAndARetryReusesTheMediaID() async throws {
        let core = try await CoreOnMemory(adapters: [RecordingAdapter("chat", capabilities: AdapterCapabilities(attachments: Self.limits))])
        let inbound = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }
        let conversation = inbound.conversation.id
        let pdf = Data("%PDF-1.4 invoice".utf8)
        let upload = try await core.desk.upload(content: pdf, fileName: "../../Invoice 7.pdf", mimeType: "Application/PDF; x=1", by: ana)
        #expect(upload.fileName == "Invoice 7.pdf", "no path")
        #expect(upload.mimeType == "application/pdf")
        #expect(upload.sha256 == Attachment.sha256Hex(pdf))

        // Another agent may not send Ana's upload; without text and files there is nothing to send.
        let luis = Viewer(Staff.luis)
        await #expect(throws: ServiceError.self) {
            _ = try await core.desk.upload(content: Data(), fileName: "x", mimeType: nil, by: luis)
        }

        let reply = try await core.desk.reply(
            to: conversation, body: "Your invoice", inReplyTo: nil, via: nil, attachments: [.upload(upload.id)], by: ana)
        #expect(reply.attachments?.map(\.fileName) == ["Invoice 7.pdf"])
        #expect(reply.attachments?.first?.kind == "document")
        chat(core).willAnswer([DeliveryFailure("platform answered HTTP 503")])
        try await running([core.outbox]) {
            try await eventually("the reply is attempted") {
                try await core.message(reply.id, in: conversation).delivery?.attempts == 1
            }
            core.clock.advance(70)
            core.outbox.wake()
            try await eventually("the retry delivers it") { try await core.message(reply.id, in: conversation).delivery?.state == .delivered }
        }
        let attempts = chat(core).deliveries.filter { $0.id == reply.id }
        #expect(attempts.count == 2)
        #expect(attempts.allSatisfy { $0.attachments.map(\.content) == [pdf] }, "the same bytes each time")
        #expect(attempts.first?.attachments.first?.platformMediaID == nil)
        #expect(attempts.last?.attachments.first?.platformMediaID == "chat-media-\(reply.id)-0", "uploaded once, sent again by id")
        #expect(try await core.desk.attachment(message: reply.id, index: 0, by: ana).content == pdf)

        // Luis's upload: not for Ana to send, but a supervisor may.
        let other = try await core.desk.upload(content: pdf, fileName: "x.pdf", mimeType: "application/pdf", by: luis)
        do {
            _ = try await core.desk.reply(to: conversation, body: "", inReplyTo: nil, via: nil, attachments: [.upload(other.id)], by: ana)
            Issue.record("Ana sent Luis's upload")
        } catch let error as ServiceError {
            #expect(error.status == 403)
        }
        _ = try await core.desk.reply(
            to: conversation, body: "", inReplyTo: nil, via: nil, attachments: [.upload(other.id)], by: Viewer(Staff.marta))
    }

    @Test func aReplyForwardsAStoredAttachmentAndRefusalsComeBeforeQueueing() async throws {
        let core = try await CoreOnMemory(adapters: [RecordingAdapter("chat", capabilities: AdapterCapabilities(attachments: Self.limits))])
        let png = Data([0x89, 0x50, 0x4E, 0x47])
        let message = InboundMessage(
            externalID: "c1", from: ChannelIdentity(channel: "chat", address: "ann"), text: "photo",
            attachments: [Attachment(kind: "image", mimeType: "image/png", fileName: "damage.png", content: png)])
        let outcome = try await core.onlyAvailable(Staff.ana) {
            try await core.store.ingest([IngestItem(adapter: "chat", event: .message(message), receivedAt: core.clock.now)], policy: core.policy)
        }
        guard case .stored(let stored)? = outcome.first else { throw UnexpectedOutcome("not stored") }
        let conversation = stored.conversation.id
        let forwarded = try await core.desk.reply(
            to: conversation, body: "", inReplyTo: nil, via: nil, attachments: [.stored(message: stored.message.id, index: 0)], by: ana)
        #expect(forwarded.attachments?.first?.fileName == "damage.png")
        #expect(forwarded.body == "")

        // Over the limit: refused now, nothing queued.
        let big = try await core.desk.upload(content: Data(repeating: 1, count: 900), fileName: "big.pdf", mimeType: "application/pdf", by: ana)
        let before = try await core.conversation(conversation).messages.count
        do {
            _ = try await core.desk.reply(to: conversation, body: "x", inReplyTo: nil, via: nil, attachments: [.upload(big.id)], by: ana)
            Issue.record("an oversize file was queued")
        } catch let error as ServiceError {
            #expect(error.code == "attachment_too_large")
        }
        #expect(try await core.conversation(conversation).messages.count == before)
        await #expect(throws: ServiceError.self) {
            _ = try await core.desk.reply(to: conversation, body: "x", inReplyTo: nil, via: nil, attachments: [.upload(999_999)], by: ana)
        }
    }
}
