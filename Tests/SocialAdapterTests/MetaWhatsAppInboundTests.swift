import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

/// WhatsApp Cloud API webhooks from the corpus, signed with a test secret, decoded by the adapter.
@Suite struct MetaWhatsAppInboundTests {
    let adapter = MetaTestKit.whatsApp()

    func one(_ file: String) async throws -> InboundMessage {
        let messages = try await MetaTestKit.events(adapter, file: "social/whatsapp/pywa_split/\(file).json").metaMessages
        try #require(messages.count == 1, "\(file): \(messages.count) messages")
        return messages[0]
    }

    /// The pywa multi-case files hold one full webhook body per case name.
    func cases(_ file: String) throws -> [(name: String, body: [UInt8])] {
        guard case .object(let cases) = try MetaTestKit.json("social/whatsapp/pywa/\(file)") else {
            throw MetaTestFailure("\(file) is not a dictionary of cases")
        }
        return try cases.keys.sorted().map { name in
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return (name, Array(try encoder.encode(cases[name]!)))
        }
    }

    @Test func everyWhatsAppCorpusFileDecodesAndNothingIsRejected() async throws {
        let files = try MetaTestKit.corpusFiles(under: "social/whatsapp")
        #expect(files.count >= 35)
        for file in files {
            let body = try Corpus.file(file)
            let events = try await MetaTestKit.events(MetaTestKit.whatsApp(for: body), body)
            if file.hasPrefix("social/whatsapp/pywa/") {
                // A dictionary of test cases is not a webhook: signed, so answered 200, not stored, said so.
                #expect(events.metaKept.isEmpty, "\(file)")
                #expect(events.metaIgnored == ["unsupported_event"], "\(file)")
            } else {
                #expect(!events.metaKept.isEmpty, "\(file) produced no event")
                #expect(events.metaIgnored.isEmpty, "\(file): \(events.metaIgnored)")
            }
        }
        // Each case of the multi-case files, posted on its own, is a real webhook.
        for file in ["message.json", "message_status.json", "edited_message.json"] {
            for (name, body) in try cases(file) {
                let events = try await MetaTestKit.events(MetaTestKit.whatsApp(for: body), body)
                #expect(events.metaKept.count == 1, "\(file) case \(name)")
            }
        }
    }

    @Test func textMessageIsAPhoneCustomerWithNameAndTime() async throws {
        let m = try await one("message__text")
        #expect(m.externalID == "wamid.xyzxyz")
        #expect(m.from == ChannelIdentity(channel: "phone", address: "+972987654321"))
        #expect(m.customerName == "Test Name")
        #expect(m.text == "Body Text")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_697_043_223))
        #expect(m.threadRef == nil)
        #expect(m.attachments.isEmpty)
        #expect(m.metadata["phone_number_id"] == "1122334455667")
    }

    @Test func mediaBecomeAttachmentsWithCaptionOrPlaceholder() async throws {
        let image = try await one("message__image")
        // Without a caption the text is empty: the core gives every adapter's messages one placeholder.
        #expect(image.text == "")
        #expect(image.attachments == [Attachment(kind: "image", mimeType: "image/jpeg", platformID: "65463453", details: ["sha256": "4654+8g="])])

        let withURL = try await one("message__media_with_url")
        #expect(withURL.attachments.first?.url?.hasPrefix("https://lookaside.fbsbx.com/whatsapp_business/attachments/") == true)

        let document = try await one("message__document")
        #expect(document.text == "caption")
        #expect(document.attachments.first?.kind == "document")
        #expect(document.attachments.first?.fileName == "filename.pdf")
        #expect(document.attachments.first?.mimeType == "application/pdf")
        #expect(document.metadata["forwarded"] == "true")

        let video = try await one("message__video")
        #expect(video.text == "caption")
        #expect(video.attachments.first?.kind == "video")

        #expect(try await one("message__voice").attachments.first?.kind == "voice")
        #expect(try await one("message__voice").text == "")
        #expect(try await one("message__audio").attachments.first?.kind == "audio")
        let sticker = try await one("message__animated_sticker")
        #expect(sticker.attachments.first?.kind == "sticker")
        #expect(sticker.attachments.first?.details?["animated"] == "true")
        #expect(try await one("message__static_sticker").text == "")
    }

    @Test func aPhoneAndAUserIDInOnePayloadAreOnePerson() async throws {
        // The corpus image carries both `wa_id` and the BSUID `user_id`.
        let image = try await one("message__image")
        #expect(image.from == ChannelIdentity(channel: "phone", address: "+972987654321"))
        #expect(image.alsoKnownAs == [ChannelIdentity(channel: "whatsapp-user", address: "US.13491208655302741918")])
    }

    @Test func locationsKeepCoordinatesAndPlace() async throws {
        let chosen = try await one("message__chosen_location")
        let place = try #require(chosen.attachments.first)
        #expect(place.kind == "location")
        #expect(place.details?["latitude"] == "37.4611978")
        #expect(place.details?["longitude"] == "-122.2164385")
        #expect(place.details?["name"] == "Facebook HQ")
        #expect(place.details?["address"] == "1 Hacker Way, Menlo Park, CA 94025")
        #expect(place.url == "https://maps.google.com/?cid=2000000000000000000")
        // The core gives a message without text its placeholder, the same on every adapter.
        #expect(chosen.text == "")

        let current = try await one("message__current_location")
        #expect(current.text == "")
        #expect(current.attachments.first?.details?["latitude"] == "12.25089")
    }

    @Test func contactCardsReactionsOrdersAndUnsupported() async throws {
        let contacts = try await one("message__contacts")
        #expect(contacts.attachments.count == 3)
        #expect(contacts.attachments.allSatisfy { $0.kind == "contact" })
        #expect(contacts.attachments[0].details?["name"] == "Chandler Bing")
        #expect(contacts.attachments[0].details?["phones"] == "+1 555-555-5555")
        #expect(contacts.text == "")

        let reaction = try await one("message__reaction")
        #expect(reaction.attachments.first?.details?["emoji"] == "😮")
        #expect(reaction.metadata["reply_to"] == "wamid.yzxyzx=")
        #expect(reaction.text == "[reaction 😮 to an earlier message]")
        #expect(try await one("message__unreaction_empty").text == "[reaction removed]")
        #expect(try await one("message__unreaction_no_emoji").text == "[reaction removed]")

        let order = try await one("message__order")
        #expect(order.attachments.first?.kind == "order")
        #expect(order.attachments.first?.details?["catalog_id"] == "354160437058781")
        #expect(order.text.contains("HAMBURGER × 3 (30 ILS)"))

        let unsupported = try await one("message__unsupported_with_type")
        #expect(unsupported.attachments.first?.kind == "unsupported")
        #expect(unsupported.text.contains("'pool'"))
        #expect(unsupported.metadata["error"]?.contains("131051") == true)

        // An interactive reply WhatsApp could not pass on is kept, with WhatsApp's reason.
        let broken = try await one("message__interactive_message_with_err")
        #expect(broken.externalID == "wamid.wegrchytvwcggt=")
        #expect(broken.attachments.first?.kind == "interactive")
        #expect(broken.text.contains("Something went wrong"))
    }

    @Test func repliesForwardsAndAdReferralsAreNoted() async throws {
        let reply = try await one("message__reply")
        #expect(reply.text == "replied text")
        #expect(reply.metadata["reply_to"] == "wamid.xyzxyz==")
        #expect(try await one("message__forwarded_many_times").metadata["forwarded"] == "frequently")
        let referral = try await one("message__referral")
        #expect(referral.text == "BODY")
        #expect(referral.metadata["referral_headline"] == "AD_TITLE")
        #expect(referral.metadata["referral_source_url"] == "AD_OR_POST_FB_URL")
    }

    @Test func interactiveAndButtonRepliesReadAsTheirTitle() async throws {
        let body = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"2"},
              "contacts":[{"profile":{"name":"Kim"},"wa_id":"34600111222"}],
              "messages":[
                {"from":"34600111222","id":"wamid.I1","timestamp":"1718000000","type":"interactive",
                 "interactive":{"type":"button_reply","button_reply":{"id":"track","title":"Track my order"}}},
                {"from":"34600111222","id":"wamid.I2","timestamp":"1718000001","type":"interactive",
                 "interactive":{"type":"list_reply","list_reply":{"id":"r2","title":"Refund","description":"Get your money back"}}},
                {"from":"34600111222","id":"wamid.I3","timestamp":"1718000002","type":"button",
                 "button":{"payload":"STOP","text":"Stop promotions"}},
                {"from":"34600111222","id":"wamid.I4","timestamp":"1718000003","type":"hologram","hologram":{"id":"h1"}}
              ]}}]}]}
            """#
        let messages = try await MetaTestKit.events(MetaTestKit.whatsApp(phoneNumberID: "2"), Array(body.utf8)).metaMessages
        #expect(messages.map(\.text) == ["Track my order", "Refund", "Stop promotions", "[hologram message]"])
        #expect(messages[0].attachments.first?.details == ["type": "button_reply", "id": "track", "title": "Track my order"])
        #expect(messages[1].attachments.first?.details?["description"] == "Get your money back")
        #expect(messages[2].attachments.first?.details?["payload"] == "STOP")
        #expect(messages[3].attachments.first?.kind == "hologram", "an unknown type is kept, not dropped")
        #expect(messages.allSatisfy { $0.customerName == "Kim" && $0.from.address == "+34600111222" })
    }

    @Test func statusesReportOnOurRepliesByWamid() async throws {
        func status(_ file: String) async throws -> DeliveryStatusUpdate {
            let body = try Corpus.file("social/whatsapp/pywa_split/message_status__\(file).json")
            let updates = try await MetaTestKit.events(MetaTestKit.whatsApp(for: body), body).metaStatuses
            try #require(updates.count == 1)
            return updates[0]
        }
        #expect(try await status("sent").state == .sent)
        #expect(try await status("with_tracker").state == .sent)
        #expect(try await status("delivered").state == .delivered)
        #expect(try await status("read").state == .read)
        #expect(try await status("played").state == .read)
        #expect(try await status("group").state == .read)
        let failed = try await status("failed")
        #expect(failed.externalID == "wamid.xyzxyz")
        #expect(failed.state == .failed)
        #expect(failed.error?.contains("User's number is part of an experiment") == true)
        #expect(failed.error?.contains("130472") == true)
        #expect(try await status("delivered").error == nil)
    }

    @Test func editedMessageIsAnEditOfTheOriginal() async throws {
        let edits = try await MetaTestKit.events(
            MetaTestKit.whatsApp(phoneNumberID: "106540352242922"), file: "social/whatsapp/pywa_split/edited_message__image.json"
        ).metaEdits
        let edit = try #require(edits.first)
        #expect(edits.count == 1)
        #expect(edit.message.externalID == "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=")
        #expect(edit.message.metadata["edit_id"] == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=")
        #expect(edit.message.from == ChannelIdentity(channel: "phone", address: "+16505551234"))
        #expect(edit.message.text == "Updated image caption")
        #expect(edit.message.attachments.first?.kind == "image")
        #expect(edit.message.attachments.first?.url == "https://media.example.com/updated-image.jpg")
        #expect(edit.editedAt == Date(timeIntervalSince1970: 1_749_854_575))
    }

    @Test func batchedWebhookYieldsEveryMessageAndStatus() async throws {
        let events = try await MetaTestKit.events(
            MetaTestKit.whatsApp(phoneNumberID: "200000000000002"), file: "social/whatsapp/constructed/batched_two_messages_plus_status.json")
        #expect(events.count == 3)
        let messages = events.metaMessages
        #expect(messages.map(\.externalID) == ["wamid.ACCEPTANCE.BATCH.0001", "wamid.ACCEPTANCE.BATCH.0002"])
        #expect(messages.allSatisfy { $0.from == ChannelIdentity(channel: "phone", address: "+5215550002222") && $0.customerName == "Ana Lopez" })
        #expect(messages[0].text == "Hola, mi pedido #4411 no ha llegado")
        #expect(messages[1].text == "factura")
        #expect(messages[1].attachments.first?.fileName == "factura 4411.pdf")
        #expect(messages[1].attachments.first?.platformID == "300000000000003")
        #expect(messages[1].metadata["reply_to"] == "wamid.ACCEPTANCE.OUTBOUND.0099")
        #expect(events.metaStatuses.map(\.externalID) == ["wamid.ACCEPTANCE.OUTBOUND.0099"])
        #expect(events.metaStatuses.first?.state == .read)
    }

    @Test func otherObjectsAndFieldsAreIgnoredButGarbageIsMalformed() async throws {
        let template =
            #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}}]}]}"#
        #expect(try await MetaTestKit.events(adapter, Array(template.utf8)).metaIgnored == ["unsupported_event"])
        let page = #"{"object":"page","entry":[]}"#
        #expect(try await MetaTestKit.events(adapter, Array(page.utf8)).metaIgnored == ["unsupported_event"])
        await #expect(throws: InboundError.self) { try await adapter.receive(MetaTestKit.post(Array("not json".utf8))) }
        await #expect(throws: InboundError.malformed("'entry' must be a list")) {
            try await adapter.receive(MetaTestKit.post(Array(#"{"object":"whatsapp_business_account","entry":{}}"#.utf8)))
        }
    }

    // MARK: another number of the same app, and users known by user id only

    /// The attack: one Meta app serves several numbers through one callback URL, and a message to
    /// another number was stored here (and answered from the wrong number).
    @Test func aChangeForAnotherPhoneNumberIsIgnoredAndSaidSo() async throws {
        let body = Array(
            #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"999999999"},
              "contacts":[{"profile":{"name":"Eve"},"wa_id":"34600111222"}],
              "messages":[{"from":"34600111222","id":"wamid.OTHER.1","timestamp":"1718000000","type":"text","text":{"body":"hi"}},
                          {"from":"34600111222","id":"wamid.OTHER.2","timestamp":"1718000001","type":"text","text":{"body":"again"}}],
              "statuses":[{"id":"wamid.OTHER.OUT","status":"read","timestamp":"1718000002","recipient_id":"34600111222"}]}}]}]}
            """#.utf8)
        let events = try await MetaTestKit.events(adapter, body)
        #expect(events.metaKept.isEmpty)
        #expect(events.metaIgnored == Array(repeating: "other_phone_number", count: 3))
        // The adapter of that number takes them.
        #expect(try await MetaTestKit.events(MetaTestKit.whatsApp(phoneNumberID: "999999999"), body).metaMessages.count == 2)
    }

    /// A user who shares a username instead of their number arrives with a business-scoped user
    /// id only (`contacts[].user_id`, no `wa_id`, no `from`): it used to be answered 200 and dropped.
    @Test func aUserKnownOnlyByUserIDIsStoredUnderWhatsAppUser() async throws {
        let body = Array(
            #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"1122334455667"},
              "contacts":[{"profile":{"name":"Maria","username":"@maria.lopez"},"user_id":"US.13491208655302741918"}],
              "messages":[{"id":"wamid.BSUID.1","timestamp":"1718000000","type":"text","text":{"body":"hola, soy Maria"}}]}}]}]}
            """#.utf8)
        let events = try await MetaTestKit.events(adapter, body)
        #expect(events.metaIgnored.isEmpty)
        let m = try #require(events.metaMessages.first)
        #expect(m.from == ChannelIdentity(channel: "whatsapp-user", address: "US.13491208655302741918"))
        #expect(m.customerName == "Maria")
        #expect(m.text == "hola, soy Maria")
        #expect(m.metadata["whatsapp_username"] == "@maria.lopez")

        // `from_user_id` on the message says the same.
        let named = Array(
            #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "metadata":{"phone_number_id":"1122334455667"},
              "contacts":[{"profile":{"name":"A"},"user_id":"BR.1502576394655843"},{"profile":{"name":"B"},"user_id":"BR.77"}],
              "messages":[{"from_user_id":"BR.77","id":"wamid.BSUID.2","timestamp":"1718000000","type":"text","text":{"body":"x"}}]}}]}]}
            """#.utf8)
        let second = try #require(try await MetaTestKit.events(adapter, named).metaMessages.first)
        #expect(second.from == ChannelIdentity(channel: "whatsapp-user", address: "BR.77"))
        #expect(second.customerName == "B")
    }

    @Test func withBothPhoneAndUserIDThePhoneIsTheIdentityAndTheUserIDIsKept() async throws {
        let body = Array(
            #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "metadata":{"phone_number_id":"1122334455667"},
              "contacts":[{"profile":{"name":"Kim"},"wa_id":"34600111222","user_id":"ES.4455"}],
              "messages":[{"from":"34600111222","from_user_id":"ES.4455","id":"wamid.BOTH.1","timestamp":"1718000000","type":"text","text":{"body":"x"}}]}}]}]}
            """#.utf8)
        let m = try #require(try await MetaTestKit.events(adapter, body).metaMessages.first)
        #expect(m.from == ChannelIdentity(channel: "phone", address: "+34600111222"))
        #expect(m.metadata["whatsapp_user_id"] == "ES.4455")
        #expect(m.customerName == "Kim")
    }

    @Test func aMessageNamingNoSenderIsIgnoredWithTheReason() async throws {
        let body = Array(
            #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "metadata":{"phone_number_id":"1122334455667"},
              "messages":[{"id":"wamid.NOBODY","timestamp":"1718000000","type":"text","text":{"body":"x"}}],
              "statuses":[{"id":"wamid.OUT.1","status":"deleted","timestamp":"1718000002"}]}}]}]}
            """#.utf8)
        #expect(try await MetaTestKit.events(adapter, body).metaIgnored == ["missing_sender", "intermediate_status"])
    }
}
