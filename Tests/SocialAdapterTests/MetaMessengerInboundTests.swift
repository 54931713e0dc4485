import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

/// Messenger and Instagram webhooks from the corpus, signed with a test secret, decoded.
@Suite struct MetaMessengerInboundTests {
    let messenger = MetaTestKit.page(.messenger)
    let instagram = MetaTestKit.page(.instagram, pageID: "17841400000000001")

    /// Files that are deliberately answered 200 with nothing stored: our own echoed sends and
    /// Messenger's read watermark (it names no message).
    static let ignored: Set<String> = [
        "social/messenger/constructed/message_echo_from_page.json",
        "social/messenger/constructed/read.json",
        "social/instagram/constructed/message_echo.json",
    ]

    @Test func everyMessengerAndInstagramCorpusFileDecodes() async throws {
        for (folder, adapter) in [("social/messenger", messenger), ("social/instagram", instagram)] {
            let files = try MetaTestKit.corpusFiles(under: folder)
            #expect(files.count >= 6, "\(folder)")
            for file in files {
                let events = try await MetaTestKit.events(adapter, file: file)
                #expect(events.metaKept.isEmpty == Self.ignored.contains(file), "\(file): \(events.count) events")
                // What is not stored is said, with its reason.
                #expect(!events.isEmpty, "\(file)")
                #expect(events.metaIgnored.isEmpty == !Self.ignored.contains(file), "\(file): \(events.metaIgnored)")
            }
        }
    }

    func one(_ adapter: MessengerAdapter, _ file: String) async throws -> InboundMessage {
        let messages = try await MetaTestKit.events(adapter, file: file).metaMessages
        try #require(messages.count == 1, "\(file)")
        return messages[0]
    }

    @Test func messengerTextIsAPageScopedCustomer() async throws {
        let m = try await one(messenger, "social/messenger/constructed/message_text.json")
        #expect(m.externalID == "m_ACCEPTANCE-msgr-0001")
        #expect(m.from == ChannelIdentity(channel: "messenger:106000000000001", address: "2400000000000001"))
        #expect(m.text == "Hi, my package arrived damaged 😞")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_718_000_000))
        #expect(m.threadRef == nil)
        #expect(messenger.identityChannel == "messenger:106000000000001")
    }

    @Test func escapedUnicodeDecodesAfterTheSignatureOverRawBytes() async throws {
        let m = try await one(messenger, "social/messenger/constructed/message_text_escaped_unicode.raw.json")
        #expect(m.text == "äöå café 😀")
    }

    @Test func sharedLocationsKeepTheirCoordinates() async throws {
        let body = Array(
            #"{"object":"page","entry":[{"id":"106000000000001","time":1,"messaging":[{"sender":{"id":"2400000000000001"},"recipient":{"id":"106000000000001"},"timestamp":1718000000000,"message":{"mid":"m_loc1","attachments":[{"type":"location","title":"Puerta del Sol","payload":{"coordinates":{"lat":40.4168,"long":-3.7038}}}]}}]}]}"#
                .utf8)
        let messages = try await MetaTestKit.events(messenger, body).metaMessages
        let location = try #require(messages.first?.attachments.first)
        #expect(messages.first?.text == "")
        #expect(location.kind == "location")
        #expect(location.details?["latitude"] == "40.4168")
        #expect(location.details?["longitude"] == "-3.7038")
        #expect(location.details?["title"] == "Puerta del Sol")
    }

    @Test func attachmentsQuickRepliesRepliesAndPostbacks() async throws {
        let image = try await one(messenger, "social/messenger/constructed/message_image_attachment.json")
        #expect(image.text == "", "the core gives a message without text its placeholder")
        #expect(image.attachments == [Attachment(kind: "image", url: "https://scontent.example.invalid/v/t1.15752-9/photo_damaged_box.jpg")])

        let quick = try await one(messenger, "social/messenger/constructed/message_quick_reply.json")
        #expect(quick.text == "Track my order")
        #expect(quick.metadata["quick_reply_payload"] == "TRACK_ORDER")

        let reply = try await one(messenger, "social/messenger/constructed/message_reply_to.json")
        #expect(reply.metadata["reply_to"] == "m_ACCEPTANCE-msgr-OUT-0042")

        let postback = try await one(messenger, "social/messenger/botbuilder-dotnet/PayloadWithPostBack.json")
        #expect(postback.externalID == "m_1457764197618:41d102a3e1ae206a38")
        #expect(postback.text == "title")
        #expect(postback.attachments.first?.details?["payload"] == "USER_DEFINED_PAYLOAD")
        #expect(postback.metadata["referral_ref"] == "USER_DEFINED_REFERRAL_PARAM")

        let botbuilder = try await one(messenger, "social/messenger/botbuilder-dotnet/Payload.json")
        #expect(botbuilder.externalID == "AAAA-BBBB-CCCC")
        #expect(botbuilder.from == ChannelIdentity(channel: "messenger:0", address: "0"))
    }

    @Test func batchesDeliveriesEchoesAndWatermarks() async throws {
        let batch = try await MetaTestKit.events(messenger, file: "social/messenger/constructed/two_entries_batched.json").metaMessages
        #expect(batch.map(\.externalID) == ["m_ACCEPTANCE-msgr-0010", "m_ACCEPTANCE-msgr-0011"])
        #expect(batch.map(\.from.address) == ["2400000000000001", "2400000000000002"])

        let delivery = try await MetaTestKit.events(messenger, file: "social/messenger/constructed/delivery.json")
        #expect(delivery.count == 1)
        #expect(delivery.metaStatuses.first?.externalID == "m_ACCEPTANCE-msgr-OUT-0042")
        #expect(delivery.metaStatuses.first?.state == .delivered)

        #expect(
            try await MetaTestKit.events(messenger, file: "social/messenger/constructed/message_echo_from_page.json").metaIgnored == ["own_message"])
        #expect(try await MetaTestKit.events(messenger, file: "social/messenger/constructed/read.json").metaIgnored == ["unsupported_event"])
    }

    @Test func messengerEditsAreEditsOfTheOriginal() async throws {
        let body = #"""
            {"object":"page","entry":[{"id":"106000000000001","time":1718000005000,"messaging":[
              {"sender":{"id":"2400000000000001"},"recipient":{"id":"106000000000001"},"timestamp":1718000004000,
               "message_edit":{"mid":"m_ACCEPTANCE-msgr-0001","text":"Hi, my package arrived broken","num_edit":1}}]}]}
            """#
        let edits = try await MetaTestKit.events(messenger, Array(body.utf8)).metaEdits
        #expect(edits.count == 1)
        #expect(edits.first?.message.externalID == "m_ACCEPTANCE-msgr-0001")
        #expect(edits.first?.message.text == "Hi, my package arrived broken")
        #expect(edits.first?.editedAt == Date(timeIntervalSince1970: 1_718_000_004))
    }

    @Test func instagramMessagesStoriesDeletionsAndUnsupported() async throws {
        let text = try await one(instagram, "social/instagram/constructed/message_text.json")
        #expect(text.from == ChannelIdentity(channel: "instagram:17841400000000001", address: "1230000000000001"))
        #expect(text.text == "Do you ship to Canada?")
        #expect(instagram.identityChannel == "instagram:17841400000000001")

        let image = try await one(instagram, "social/instagram/constructed/message_image.json")
        #expect(image.attachments.first?.kind == "image")
        #expect(image.attachments.first?.url?.contains("asset_id=ACCEPTANCE0002") == true)

        let story = try await one(instagram, "social/instagram/constructed/message_story_reply.json")
        #expect(story.text == "Is this still available?")
        #expect(
            story.attachments == [
                Attachment(kind: "story", url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=STORY0003", platformID: "17900000000000003")
            ])

        let unsupported = try await one(instagram, "social/instagram/constructed/message_unsupported.json")
        #expect(unsupported.text == "")
        #expect(unsupported.attachments.first?.kind == "unsupported")

        // A deletion annotates the original message (same mid as message_text.json).
        let deleted = try await MetaTestKit.events(instagram, file: "social/instagram/constructed/message_deleted.json").metaEdits
        #expect(deleted.count == 1)
        #expect(deleted.first?.message.externalID == text.externalID)
        #expect(deleted.first?.message.metadata["deleted"] == "true")
        #expect(deleted.first?.message.text == "[message deleted by the customer]")

        #expect(try await MetaTestKit.events(instagram, file: "social/instagram/constructed/message_echo.json").metaIgnored == ["own_message"])
    }

    @Test func eachAdapterIgnoresTheOtherPlatformsObject() async throws {
        #expect(try await MetaTestKit.events(instagram, file: "social/messenger/constructed/message_text.json").metaIgnored == ["unsupported_event"])
        #expect(try await MetaTestKit.events(messenger, file: "social/instagram/constructed/message_text.json").metaIgnored == ["unsupported_event"])
    }
}
