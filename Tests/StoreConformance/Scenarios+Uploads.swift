import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Uploads agents send with replies: kept by content, pruned after a day, and the reply keeping
/// its own reference; platform media ids kept with the reply's outbox entry.
extension StoreConformance {
    static let uploadScenarios: [StoreScenario] = [
        StoreScenario("an upload round-trips and shares its content with an identical attachment", on: uploadRoundTrip),
        StoreScenario("pruning removes old uploads but a reply keeps the file it carries", on: pruningKeepsRepliedFiles),
        StoreScenario("platform media ids are kept with a queued reply and go with its outbox entry", on: mediaIDsStayWithTheOutbox),
        StoreScenario("the reply window runs from the platform's sending time, never later than arrival", on: windowFromPlatformTime),
    ]

    @Sendable static func windowFromPlatformTime(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded())
        let sent = now.addingTimeInterval(-25 * 3600)
        let late = IngestItem(
            adapter: "chat",
            event: .message(InboundMessage(externalID: "late-1", from: ChannelIdentity(channel: "chat", address: "a@x"), text: "hi", sentAt: sent)),
            receivedAt: now.addingTimeInterval(-60))
        let id = try #require(try await store.ingest([late], policy: TestAgents.policy)[0].conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.lastInboundAt.map { abs($0.timeIntervalSince(sent)) < 0.001 } == true, "\(String(describing: route.lastInboundAt))")
        // A clock ahead of ours does not stretch the window: arrival is the latest it counts from.
        let ahead = IngestItem(
            adapter: "chat",
            event: .message(
                InboundMessage(
                    externalID: "ahead-1", from: ChannelIdentity(channel: "chat", address: "a@x"), text: "hi",
                    sentAt: now.addingTimeInterval(300))), receivedAt: now)
        _ = try await store.ingest([ahead], policy: TestAgents.policy)
        let again = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: "chat", identityChannel: nil))
        #expect(again.lastInboundAt.map { abs($0.timeIntervalSince(now)) < 0.001 } == true, "\(String(describing: again.lastInboundAt))")
        // A platform delivering a message of two hours ago late (a retried webhook): it arrives last
        // but was sent first, so the window still runs from the earlier arrival's time.
        let delayed = IngestItem(
            adapter: "chat",
            event: .message(
                InboundMessage(
                    externalID: "delayed-1", from: ChannelIdentity(channel: "chat", address: "a@x"), text: "hi",
                    sentAt: now.addingTimeInterval(-7200))), receivedAt: now.addingTimeInterval(30))
        _ = try await store.ingest([delayed], policy: TestAgents.policy)
        let after = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: "chat", identityChannel: nil))
        #expect(after.lastInboundAt.map { abs($0.timeIntervalSince(now)) < 0.001 } == true, "\(String(describing: after.lastInboundAt))")
    }

    static func upload(_ content: Data, by agent: String = "ana", name: String = "invoice.pdf", at: Date = Date()) -> Upload {
        Upload(
            uploader: agent, fileName: name, mimeType: "application/pdf", size: content.count, sha256: Attachment.sha256Hex(content),
            createdAt: at)
    }

    @Sendable static func uploadRoundTrip(_ store: any Store) async throws {
        let pdf = Data("%PDF-1.4 invoice".utf8)
        let saved = try await store.saveUpload(upload(pdf), content: pdf)
        #expect(saved.id > 0)
        let again = try await store.saveUpload(upload(pdf, by: "luis", name: "copy.pdf"), content: pdf)
        #expect(again.id != saved.id)
        let read = try #require(try await store.upload(saved.id))
        #expect(read.content == pdf)
        #expect(read.upload.uploader == "ana")
        #expect(read.upload.fileName == "invoice.pdf")
        #expect(read.upload.mimeType == "application/pdf")
        #expect(read.upload.size == pdf.count)
        #expect(read.upload.sha256 == Attachment.sha256Hex(pdf))
        #expect(try await store.upload(again.id)?.upload.fileName == "copy.pdf")
        #expect(try await store.upload(999_999) == nil)
    }

    @Sendable static func pruningKeepsRepliedFiles(_ store: any Store) async throws {
        let now = Date()
        let old = now.addingTimeInterval(-2 * 86400)
        let sent = Data("%PDF sent with a reply".utf8)
        let unsent = Data("%PDF never sent".utf8)
        let sentUpload = try await store.saveUpload(upload(sent, at: old), content: sent)
        let unsentUpload = try await store.saveUpload(upload(unsent, at: old), content: unsent)
        let fresh = try await store.saveUpload(upload(unsent, at: now), content: unsent)

        let first = try await store.ingest([inbound("up-1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let file = Attachment(kind: "document", mimeType: "application/pdf", fileName: "invoice.pdf", size: sent.count, content: sent)
        let reply = try await store.appendReply(conversation: id, author: "ana", body: "", route: route, attachments: [file], at: now)
        let recorded = try #require(reply.attachments)
        #expect(recorded.map(\.stored) == [true])
        #expect(recorded.first?.content == nil)

        #expect(try await store.pruneUploads(createdBefore: now.addingTimeInterval(-86400), limit: 100) == 2)
        #expect(try await store.upload(sentUpload.id) == nil)
        #expect(try await store.upload(unsentUpload.id) == nil)
        // The reply holds its own reference; the fresh upload of the same bytes as the pruned one keeps them.
        #expect(try await store.attachment(message: reply.id, index: 0)?.content == sent)
        #expect(try await store.upload(fresh.id)?.content == unsent)
        #expect(try await store.pruneUploads(createdBefore: now.addingTimeInterval(-86400), limit: 100) == 0)
        // The thread shows the reply's file like a customer's.
        let shown = try #require(try await store.conversation(id)?.messages.first { $0.id == reply.id })
        #expect(shown.attachments?.first?.fileName == "invoice.pdf")
        #expect(shown.attachments?.first?.sha256 == Attachment.sha256Hex(sent))
    }

    @Sendable static func mediaIDsStayWithTheOutbox(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("media-1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let now = Date()
        let bytes = Data("photo".utf8)
        let reply = try await store.appendReply(
            conversation: id, author: "ana", body: "here", route: route,
            attachments: [Attachment(kind: "image", mimeType: "image/png", fileName: "a.png", content: bytes)], at: now)
        #expect(try await store.outboundMediaIDs(message: reply.id) == [:])
        try await store.recordOutboundMediaID(message: reply.id, index: 0, platformID: "media-123")
        try await store.recordOutboundMediaID(message: reply.id, index: 2, platformID: "media-456")
        #expect(try await store.outboundMediaIDs(message: reply.id) == [0: "media-123", 2: "media-456"])
        // A retry keeps them.
        _ = try await store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60))
        _ = try await store.completeDelivery(message: reply.id, result: .retry(error: "HTTP 500", retryAt: now), at: now)
        #expect(try await store.outboundMediaIDs(message: reply.id) == [0: "media-123", 2: "media-456"])
        // Delivered: the entry is gone, and so are they.
        _ = try await store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60))
        _ = try await store.completeDelivery(message: reply.id, result: .delivered(DeliveryReceipt(externalID: "x")), at: now)
        #expect(try await store.outboundMediaIDs(message: reply.id) == [:])
        try await store.recordOutboundMediaID(message: reply.id, index: 0, platformID: "late")
        #expect(try await store.outboundMediaIDs(message: reply.id) == [:])
    }
}
