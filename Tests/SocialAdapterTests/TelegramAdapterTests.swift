import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import TelegramAdapter
import Testing

@Suite("Telegram adapter")
struct TelegramAdapterTests {
    static let secret = "acceptance-secret_TOKEN-123"
    static let token = "123456:ABC-token_secret"

    static func adapter(apiBase: String = "https://api.telegram.org") -> TelegramAdapter {
        TelegramAdapter(
            id: "tg", settings: TelegramSettings(apiBase: apiBase, botToken: token, secretToken: secret), transport: socialTransport)
    }

    static func post(_ body: [UInt8], secret: String? = TelegramAdapterTests.secret) async throws -> InboundResult {
        try await adapter().receive(
            hookRequest(
                path: "/hooks/tg", headers: secret.map { [(TelegramAdapter.secretHeader, $0)] } ?? [], body: body))
    }

    static func corpus(_ name: String) async throws -> InboundResult {
        try await post(try Corpus.file("social/telegram/\(name)"))
    }

    // MARK: corpus

    @Test func everyCorpusUpdateDecodesOrIsDeliberatelyIgnored() async throws {
        var seen = 0
        for folder in ["zammad/private", "zammad/channel", "constructed"] {
            for file in try Corpus.files(in: "social/telegram/\(folder)", ext: "json") {
                let body = Array(try Data(contentsOf: file))
                let result = try await Self.post(body)
                let isChannelPost = (try JSONValue.parse(body))[pointer: "/channel_post"] != nil
                // Channel posts are broadcasts by the channel's admins, not customer contacts: not
                // stored, and said so.
                #expect(result.kept.count == (isChannelPost ? 0 : 1), "\(folder)/\(file.lastPathComponent)")
                #expect(result.ignoredReasons == (isChannelPost ? ["channel_post"] : []), "\(folder)/\(file.lastPathComponent)")
                seen += 1
            }
        }
        #expect(seen == 21)
    }

    @Test func privateTextMessage() async throws {
        let result = try await Self.corpus("zammad/private/text.json")
        let message = try #require(result.messages.first)
        #expect(message.externalID == "111111:5")
        #expect(message.from == ChannelIdentity(channel: "telegram", address: "111111"))
        #expect(message.customerName == "Test Firstname Test Lastname")
        #expect(message.metadata["username"] == "Testusername")
        #expect(message.metadata["chat_type"] == "private")
        #expect(message.threadRef == "111111")
        #expect(message.text == "Hello, I need your Help")
        #expect(message.sentAt == Date(timeIntervalSince1970: 1_441_645_532))
        #expect(message.attachments.isEmpty)
    }

    @Test func editMatchesTheOriginalMessage() async throws {
        let original = try #require(try await Self.corpus("zammad/private/text.json").messages.first)
        let result = try await Self.corpus("constructed/edited_message_private.json")
        #expect(result.messages.isEmpty, "an edit is not a new contact")
        let (edited, editedAt) = try #require(result.edits.first)
        #expect(edited.externalID == original.externalID)
        #expect(edited.text == "Hello, I need your Help (order #77)")
        #expect(editedAt == Date(timeIntervalSince1970: 1_441_645_600))
    }

    @Test func photoKeepsTheLargestSizeAndTheCaption() async throws {
        let message = try #require(try await Self.corpus("zammad/private/photo.json").messages.first)
        #expect(message.text == "caption 123<b>abc</b>")
        let photo = try #require(message.attachments.first)
        #expect(message.attachments.count == 1)
        #expect(photo.kind == "image")
        #expect(photo.platformID == "photofileid3")
        #expect(photo.mimeType == "image/jpeg")
        #expect(photo.details?["width"] == "720")

        let captioned = try #require(try await Self.corpus("constructed/photo_with_caption_private.json").messages.first)
        #expect(captioned.text == "broken screen, see photo")
        #expect(captioned.attachments.map(\.platformID) == ["AgACAgQAAxkBAAIB_large"])
        #expect(captioned.attachments.first?.size == 51234)
        #expect(captioned.customerName == "Test Firstname")
    }

    /// Sizes whose width × height overflows (found by FuzzTelegram: the multiplication trapped and
    /// would have stopped the gateway) rank as the largest; negative sides count as nothing.
    @Test func photoSizesWithHugeOrNegativeSidesDoNotStopTheGateway() async throws {
        let update = #"""
            {"update_id": 3, "message": {"message_id": 4, "date": 1486036832,
              "chat": {"id": 111111, "type": "private"}, "from": {"id": 111111, "is_bot": false, "first_name": "Ann"},
              "photo": [
                {"file_id": "small", "width": 90, "height": 90},
                {"file_id": "negative", "width": -4611686018427387904, "height": 3},
                {"file_id": "huge", "width": 9223372036854775807, "height": 922337203685477}
              ]}}
            """#
        let message = try #require(try await Self.post(Array(update.utf8)).messages.first)
        #expect(message.attachments.map(\.platformID) == ["huge"])
    }

    @Test func documentVoiceAndVideoBecomeAttachments() async throws {
        let document = try #require(try await Self.corpus("zammad/private/document.json").messages.first?.attachments.first)
        #expect(document.kind == "document")
        #expect(document.fileName == "document.pdf")
        #expect(document.mimeType == "application/pdf")
        #expect(document.platformID == "documentfileid")
        #expect(document.size == 123456)

        let voice = try #require(try await Self.corpus("zammad/private/voice.json").messages.first)
        #expect(voice.text == "")
        // A voice note, as on WhatsApp.
        #expect(voice.attachments.first?.kind == "voice")
        #expect(voice.attachments.first?.mimeType == "audio/ogg")
        #expect(voice.attachments.first?.platformID == "voicefileid")

        let video = try #require(try await Self.corpus("zammad/private/video.json").messages.first?.attachments.first)
        #expect(video.kind == "video")
        #expect(video.mimeType == "video/mp4")
        #expect(video.platformID == "videofileid")
        #expect(video.details?["duration_s"] == "1")
    }

    @Test func groupReplyIsThreadedOnTheGroup() async throws {
        let message = try #require(try await Self.corpus("constructed/group_reply_to_bot.json").messages.first)
        #expect(message.externalID == "-1001234567890:4051")
        #expect(message.from.address == "111111", "the customer is the person, not the group")
        #expect(message.threadRef == "-1001234567890", "replies go back to the group")
        #expect(message.text == "Any news on my ticket? 🙏")
        #expect(message.metadata["reply_to"] == "-1001234567890:4049")
        #expect(message.metadata["chat_type"] == "supergroup")
        #expect(message.metadata["chat_title"] == "Support Group")
    }

    @Test func stickerOfTheCorpusAsAPrivateMessage() async throws {
        // Zammad's sticker fixture is filed as a channel_post; the same content sent privately
        // (rewritten here in memory) must keep the sticker.
        let text = String(decoding: try Corpus.file("social/telegram/zammad/private/sticker.json"), as: UTF8.self)
            .replacingOccurrences(of: "\"channel_post\"", with: "\"message\"")
        let message = try #require(try await Self.post(Array(text.utf8)).messages.first)
        let sticker = try #require(message.attachments.first)
        #expect(sticker.kind == "sticker")
        #expect(sticker.platformID == "stickerfileid")
        #expect(sticker.details?["emoji"] == "😄")
        #expect(sticker.mimeType == "application/x-tgsticker")
    }

    @Test func locationContactVenueAndUnknownContentAreKept() async throws {
        func update(_ content: String) -> [UInt8] {
            Array(
                #"{"update_id":9,"message":{"message_id":77,"date":1718000000,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Eva"},\#(content)}}"#
                    .utf8)
        }
        let location = try #require(try await Self.post(update(#""location":{"latitude":40.4168,"longitude":-3.7038}"#)).messages.first)
        #expect(location.attachments.first?.kind == "location")
        #expect(location.attachments.first?.details?["latitude"] == "40.4168")
        #expect(location.attachments.first?.details?["longitude"] == "-3.7038")

        let venue = try #require(
            try await Self.post(
                update(
                    #""location":{"latitude":1.5,"longitude":2.5},"venue":{"location":{"latitude":1.5,"longitude":2.5},"title":"Shop","address":"Main St 1"}"#
                )
            ).messages.first)
        #expect(venue.attachments.count == 1, "a venue's location is not a second attachment")
        #expect(venue.attachments.first?.details?["title"] == "Shop")

        let contact = try #require(
            try await Self.post(
                update(
                    #""contact":{"phone_number":"+34600111222","first_name":"Ana","last_name":"López","user_id":555}"#
                )
            ).messages.first)
        #expect(contact.attachments.first?.kind == "contact")
        #expect(contact.attachments.first?.details?["phone_number"] == "+34600111222")
        #expect(contact.attachments.first?.details?["name"] == "Ana López")

        let game = try #require(try await Self.post(update(#""game":{"title":"Chess"}"#)).messages.first)
        #expect(game.attachments.map(\.kind) == ["game"], "unknown content is recorded under its own name")

        let animation = try #require(
            try await Self.post(
                update(
                    #""animation":{"file_id":"anim1","mime_type":"video/mp4"},"document":{"file_id":"anim1","mime_type":"video/mp4"}"#
                )
            ).messages.first)
        #expect(animation.attachments.count == 1, "an animation's document copy is the same file")
    }

    @Test func serviceMessagesBotsAndOtherUpdatesAreIgnored() async throws {
        let joined =
            #"{"update_id":1,"message":{"message_id":3,"date":1,"chat":{"id":-5,"type":"group"},"from":{"id":7,"first_name":"A"},"new_chat_members":[{"id":8}]}}"#
        let bot =
            #"{"update_id":2,"message":{"message_id":4,"date":1,"chat":{"id":-5,"type":"group"},"from":{"id":9,"is_bot":true,"first_name":"B"},"text":"beep"}}"#
        let callback = #"{"update_id":3,"callback_query":{"id":"1","from":{"id":7},"data":"x"}}"#
        for (body, reason) in [(joined, "service_message"), (bot, "bot_message"), (callback, "unsupported_event")] {
            let result = try await Self.post(Array(body.utf8))
            #expect(result.kept.isEmpty, "\(body)")
            #expect(result.ignoredReasons == [reason], "\(body)")
        }
    }

    @Test func buttonPressesAndReactionsAreTheCustomersActivity() throws {
        let press =
            #"{"update_id":10,"callback_query":{"id":"4382","from":{"id":7,"first_name":"Ana","username":"ana"},"message":{"message_id":42,"date":1,"chat":{"id":7,"type":"private"},"text":"Track?"},"chat_instance":"1","data":"track_order"}}"#
        guard case .message(let pressed)? = try TelegramUpdateDecoder.decode(try JSONValue.parse(Array(press.utf8))).first else {
            Issue.record("a button press is stored")
            return
        }
        #expect(pressed.kind == .activity)
        #expect(pressed.externalID == "callback:4382")
        #expect(pressed.from == ChannelIdentity(channel: "telegram", address: "7"))
        #expect(pressed.text == "[button pressed: track_order]")
        #expect(pressed.metadata["reply_to"] == "7:42", "the message whose button it was")
        #expect(pressed.threadRef == "7")

        let reaction =
            #"{"update_id":11,"message_reaction":{"chat":{"id":7,"type":"private"},"message_id":43,"user":{"id":7,"first_name":"Ana"},"date":1718000000,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}"#
        guard case .message(let reacted)? = try TelegramUpdateDecoder.decode(try JSONValue.parse(Array(reaction.utf8))).first else {
            Issue.record("a reaction is stored")
            return
        }
        #expect(reacted.kind == .activity)
        #expect(reacted.text == "[reaction 👍]")
        #expect(reacted.metadata["reply_to"] == "7:43", "shown on the reply it was put on")
        #expect(reacted.attachments.first?.details?["emoji"] == "👍")
        let removed =
            #"{"update_id":12,"message_reaction":{"chat":{"id":7,"type":"private"},"message_id":43,"user":{"id":7,"first_name":"Ana"},"date":1718000001,"old_reaction":[{"type":"emoji","emoji":"👍"}],"new_reaction":[]}}"#
        guard case .message(let taken)? = try TelegramUpdateDecoder.decode(try JSONValue.parse(Array(removed.utf8))).first else {
            Issue.record("a reaction taken back is stored")
            return
        }
        #expect(taken.text == "[reaction removed]")
        #expect(taken.externalID != reacted.externalID)
    }

    @Test func idsAreWholeNumbersAsTelegramWritesThem() async throws {
        // `5.0` or `"5"` is no message id of Telegram's: refused rather than read as 5.
        for body in [
            #"{"update_id":1,"message":{"message_id":5.0,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"text":"a"}}"#,
            #"{"update_id":1,"message":{"message_id":"5","date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"text":"a"}}"#,
            #"{"update_id":1,"message":{"message_id":5,"date":1,"chat":{"id":18446744073709551615,"type":"private"},"from":{"id":7},"text":"a"}}"#,
        ] {
            #expect(await inboundError { try await Self.post(Array(body.utf8)) }?.status == 400, "\(body)")
        }
    }

    // MARK: verification

    @Test func officialSecretTokenVectors() async throws {
        let vector = try #require(try SignatureVectors.entries("telegram").first)
        let secret = try #require(vector[pointer: "/setWebhook_secret_token"]?.text)
        let valid = try #require(vector[pointer: "/valid_header_value"]?.text)
        #expect(secret == Self.secret)
        #expect(vector[pointer: "/header"]?.text == TelegramAdapter.secretHeader)
        let body = try Corpus.file("social/telegram/zammad/private/text.json")
        #expect(try await Self.post(body, secret: valid).messages.count == 1)
        guard case .array(let invalid)? = vector[pointer: "/invalid_header_values"] else {
            Issue.record("no invalid values")
            return
        }
        #expect(invalid.count == 3)
        for value in invalid.compactMap(\.text) {
            let error = await inboundError { try await Self.post(body, secret: value) }
            #expect(error?.status == 401, "\(value.debugDescription) must be refused")
        }
        #expect(await inboundError { try await Self.post(body, secret: nil) }?.status == 401)
    }

    @Test func malformedBodiesAndMethods() async throws {
        #expect(await inboundError { try await Self.post(Array("not json".utf8)) }?.status == 400)
        #expect(await inboundError { try await Self.post(Array(#"{"hello":1}"#.utf8)) }?.reason.contains("update_id") == true)
        #expect(await inboundError { try await Self.post(Array(#"{"update_id":1,"message":{"date":1}}"#.utf8)) }?.status == 400)
        let get = await inboundError { try await Self.adapter().receive(hookRequest("GET", path: "/hooks/tg")) }
        #expect(get?.status == 405)
    }

    // MARK: configuration

    @Test func configurationKeysAndProblems() throws {
        let env = ["TG_TOKEN": Self.token, "TG_SECRET": Self.secret]
        let (built, problems) = try buildThroughFactory(
            TelegramAdapterFactory(), id: "tg",
            [
                "bot_token_env": "TG_TOKEN", "secret_token_env": "TG_SECRET", "api_base": "http://127.0.0.1:9/",
            ], env: env)
        #expect(problems.isEmpty)
        let adapter = try #require(built as? TelegramAdapter)
        #expect(adapter.settings.apiBase == "http://127.0.0.1:9")
        #expect(adapter.settings.botToken == Self.token)
        #expect(adapter.capabilities.maxTextLength == 4096)
        #expect(adapter.capabilities.canInitiate == false)
        #expect(TelegramAdapterFactories.all.map(\.type) == ["telegram"])

        let (_, bad) = try buildThroughFactory(
            TelegramAdapterFactory(), id: "tg",
            [
                "bot_token_env": "TG_TOKEN", "secret_token_env": "TG_BAD", "token": "oops", "api_base": "ftp://x",
            ], env: env.merging(["TG_BAD": "has spaces!"]) { a, _ in a })
        #expect(bad.contains { $0.contains("unknown key 'token'") })
        #expect(bad.contains { $0.contains("secret_token") && $0.contains("A–Z") })
        #expect(bad.contains { $0.contains("api_base") })

        let (_, missing) = try buildThroughFactory(TelegramAdapterFactory(), id: "tg", [:])
        #expect(missing.contains { $0.contains("bot_token_env") })
        #expect(missing.contains { $0.contains("secret_token_env") })
    }

    // MARK: outbound, against a real HTTP server

    @Test(.integration) func replyIsSentToTheChatQuotingTheMessage() async throws {
        try await FakeAPI.with([
            .init(status: 200, json: #"{"ok":true,"result":{"message_id":4060,"chat":{"id":-1001234567890},"date":1718000300,"text":"On it"}}"#)
        ]) { api in
            let receipt = try await Self.adapter(apiBase: api.baseURL).deliver(
                OutboundMessage(
                    id: 17, conversationID: 3, to: "111111", threadRef: "-1001234567890", text: "On it — “ticket” #77",
                    inReplyTo: "-1001234567890:4051"))
            #expect(receipt.externalID == "-1001234567890:4060")
            #expect(receipt.state == .delivered)
            let sent = try #require(try await api.requests().first)
            #expect(sent.method == "POST")
            #expect(sent.path == "/bot\(Self.token)/sendMessage")
            #expect(sent.headers["content-type"] == "application/json")
            let json = try #require(sent.json)
            #expect(json[pointer: "/chat_id"] == .integer(-1_001_234_567_890))
            #expect(json[pointer: "/text"]?.text == "On it — “ticket” #77")
            #expect(json[pointer: "/reply_parameters/message_id"] == .integer(4051))
            #expect(json[pointer: "/reply_parameters/allow_sending_without_reply"] == .bool(true))
        }
    }

    @Test(.integration) func replyWithoutThreadGoesToTheCustomerAndQuotesOnlyItsOwnChat() async throws {
        try await FakeAPI.with([.init(status: 200, json: #"{"ok":true,"result":{"message_id":9}}"#)]) { api in
            let receipt = try await Self.adapter(apiBase: api.baseURL).deliver(
                OutboundMessage(
                    id: 18, conversationID: 3, to: "111111", text: "hi", inReplyTo: "-55:4051"))
            #expect(receipt.externalID == "111111:9")
            let json = try #require(try await api.requests().first?.json)
            #expect(json[pointer: "/chat_id"] == .integer(111111))
            #expect(json[pointer: "/reply_parameters"] == nil, "a message of another chat cannot be quoted")
        }
    }

    @Test(.integration) func blockedByTheUserIsPermanentWithTelegramsDescription() async throws {
        try await FakeAPI.with([.init(status: 403, json: #"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#)]) {
            api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: "111111", text: "x"))
                })
            #expect(failure.permanent)
            #expect(failure.reason.contains("Forbidden: bot was blocked by the user"))
            #expect(!failure.reason.contains(Self.token))
        }
    }

    @Test(.integration) func floodControlIsTransientWithRetryAfter() async throws {
        try await FakeAPI.with([
            .init(
                status: 429, json: #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#)
        ]) { api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: "111111", text: "x"))
                })
            #expect(!failure.permanent)
            #expect(failure.retryAfter == .seconds(7))
        }
        try await FakeAPI.with([.init(status: 502, json: "Bad Gateway")]) { api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: "111111", text: "x"))
                })
            #expect(!failure.permanent)
        }
    }

    @Test(.integration) func migratedGroupIsRetriedAtItsNewID() async throws {
        try await FakeAPI.with([
            .init(
                status: 400,
                json:
                    #"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009999}}"#
            ),
            .init(status: 200, json: #"{"ok":true,"result":{"message_id":5,"chat":{"id":-1009999}}}"#),
        ]) { api in
            let receipt = try await Self.adapter(apiBase: api.baseURL).deliver(
                OutboundMessage(
                    id: 1, conversationID: 1, to: "111111", threadRef: "-4242", text: "x", inReplyTo: "-4242:7"))
            #expect(receipt.externalID == "-1009999:5")
            let requests = try await api.requests()
            #expect(requests.count == 2)
            #expect(requests.last?.json?[pointer: "/chat_id"] == .integer(-1_009_999))
            #expect(requests.last?.json?[pointer: "/reply_parameters"] == nil)
        }
    }

    @Test func transportErrorsNeverRevealTheBotToken() async throws {
        let failure = try #require(
            await deliveryFailure {
                try await Self.adapter(apiBase: try unusedLoopbackURL()).deliver(OutboundMessage(id: 1, conversationID: 1, to: "1", text: "x"))
            })
        #expect(!failure.permanent)
        #expect(!failure.reason.contains(Self.token))
        #expect(!failure.reason.contains("ABC-token"))
        #expect(failure.reason.contains("could not reach the Telegram Bot API"))
    }
}
