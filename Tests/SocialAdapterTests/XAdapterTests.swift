import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Synchronization
import Testing
import XAdapter

@Suite("X direct messages adapter")
struct XAdapterTests {
    static let secret = "acceptance_x_consumer_secret"
    static let us = "2975699229"
    static let customer = "1205290247124217856"
    static let accessToken = "x-access-token-123"

    static func adapter(apiBase: String = "https://api.x.com", publicReplies: Bool = false, now: Date = Date()) -> XAdapter {
        XAdapter(
            id: "x",
            settings: XSettings(apiBase: apiBase, userID: us, consumerSecret: secret, accessToken: accessToken, publicReplies: publicReplies),
            transport: socialTransport, now: { now })
    }

    /// Posts `body` signed as X signs it (unless a signature is given).
    static func post(_ body: [UInt8], signature: String? = nil, adapter: XAdapter = XAdapterTests.adapter()) async throws -> InboundResult {
        let sig = signature ?? XWebhookSignature.token(consumerSecret: secret, body)
        return try await adapter.receive(hookRequest(path: "/hooks/x", headers: [(XWebhookSignature.header, sig)], body: body))
    }

    static func corpus(_ name: String) async throws -> InboundResult {
        try await post(try Corpus.file("social/twitter/derived_json/\(name).json"))
    }

    // MARK: corpus

    @Test func everyCorpusEventDecodesOrIsDeliberatelyIgnored() async throws {
        let expected: [String: (messages: Int, statuses: Int)] = [
            "direct_message-incoming": (1, 0), "direct_message-incoming_2": (1, 0),
            "direct_message-incoming_with_media": (1, 0), "direct_message-incoming_with_url": (1, 0),
            "direct_message-outgoing": (0, 0),  // our own DM coming back
            "direct_message_indicate_typing": (0, 0), "direct_message_mark_read": (0, 1),
            "tweet_create-response": (1, 0), "tweet_create-user_mention": (1, 0),
        ]
        let ignored = ["direct_message-outgoing": "own_message", "direct_message_indicate_typing": "unsupported_event"]
        let files = try Corpus.files(in: "social/twitter/derived_json", ext: "json")
        #expect(files.count == expected.count)
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            let result = try await Self.post(Array(try Data(contentsOf: file)))
            let want = try #require(expected[name], "unexpected corpus file \(name)")
            #expect(result.messages.count == want.messages, "\(name)")
            #expect(result.statuses.count == want.statuses, "\(name)")
            #expect(result.kept.count == want.messages + want.statuses, "\(name)")
            // What is not stored is said, with its reason.
            #expect(result.events.count >= 1, "\(name)")
            #expect(result.ignoredReasons == (ignored[name].map { [$0] } ?? []), "\(name)")
        }
    }

    @Test func incomingDirectMessage() async throws {
        let message = try #require(try await Self.corpus("direct_message-incoming").messages.first)
        #expect(message.externalID == "1206724334791753732")
        #expect(message.from == ChannelIdentity(channel: "x", address: Self.customer))
        #expect(message.customerName == "pennbrooke")
        #expect(message.metadata["screen_name"] == "pennbrooke1")
        #expect(message.text == "Yes, you are!")
        #expect(message.sentAt == Date(timeIntervalSince1970: 1576540475.925))
        #expect(message.threadRef == nil)
        #expect(message.metadata["public"] == nil)
    }

    @Test func shortLinksAreExpanded() async throws {
        let message = try #require(try await Self.corpus("direct_message-incoming_with_url").messages.first)
        #expect(message.text == "Did you know about this? https://en.wikipedia.org/wiki/Frankenstein#Composition")
    }

    @Test func mediaBecomesAnAttachment() async throws {
        let message = try #require(try await Self.corpus("direct_message-incoming_with_media").messages.first)
        #expect(message.externalID == "1209117907864571908")
        #expect(message.text == "", "the t.co link only pointed at the attachment")
        let media = try #require(message.attachments.first)
        #expect(media.kind == "video")
        #expect(media.mimeType == "video/mp4")
        #expect(media.platformID == "1209117874389843969", "id_str, since the numeric id exceeds 2^53")
        #expect(media.url == "https://video.twimg.com/dm_gif/1209117874389843969/Lgs2ZRqicjZjx6kFdwQcu2T5rmEq7br_m8QKHj-RybsPv0yeq5.mp4")
        #expect(media.details?["type"] == "animated_gif")
        #expect(media.details?["preview_url"]?.hasPrefix("https://pbs.twimg.com/dm_gif_preview/") == true)
    }

    @Test func readMarkIsAReadReportOnOurDM() async throws {
        let status = try #require(try await Self.corpus("direct_message_mark_read").statuses.first)
        #expect(status.externalID == "1206724203514228741", "the id of our outgoing DM in the corpus")
        #expect(status.state == .read)
    }

    @Test func publicMentionIsRecordedAsPublic() async throws {
        let message = try #require(try await Self.corpus("tweet_create-user_mention").messages.first)
        #expect(message.externalID == "1205348660982083584")
        #expect(message.from == ChannelIdentity(channel: "x", address: Self.customer), "the same customer as in DMs")
        #expect(message.threadRef == "tweet:1205348660982083584")
        #expect(message.metadata["public"] == "true")
        #expect(message.metadata["url"] == "https://x.com/pennbrooke1/status/1205348660982083584")
        #expect(message.text == "@ScruffyMcG This is a test of Twitter API webhooks.")
        #expect(message.sentAt == Date(timeIntervalSince1970: 1576212489.730))

        let answer = try #require(try await Self.corpus("tweet_create-response").messages.first)
        #expect(answer.metadata["in_reply_to_tweet"] == "1205348660982083584")
    }

    @Test func ownTweetsRetweetsAndOtherAccountsAreIgnored() async throws {
        let own =
            #"{"for_user_id":"2975699229","tweet_create_events":[{"id_str":"5","text":"hi @x","user":{"id_str":"2975699229"},"entities":{"user_mentions":[{"id_str":"2975699229"}]}}]}"#
        let retweet =
            #"{"for_user_id":"2975699229","tweet_create_events":[{"id_str":"6","text":"RT @ScruffyMcG hi","retweeted_status":{},"user":{"id_str":"7"},"entities":{"user_mentions":[{"id_str":"2975699229"}]}}]}"#
        let unrelated =
            #"{"for_user_id":"2975699229","tweet_create_events":[{"id_str":"8","text":"hello world","user":{"id_str":"7"},"entities":{"user_mentions":[]}}]}"#
        let otherAccount =
            #"{"for_user_id":"999","direct_message_events":[{"type":"message_create","id":"1","message_create":{"sender_id":"7","message_data":{"text":"hi"}}}]}"#
        for (body, reason) in [
            (own, "own_message"), (retweet, "not_addressed_to_us"), (unrelated, "not_addressed_to_us"), (otherAccount, "other_account"),
        ] {
            let result = try await Self.post(Array(body.utf8))
            #expect(result.kept.isEmpty, "\(body)")
            #expect(result.ignoredReasons == [reason], "\(body)")
        }
        let revocation = try await Self.post(
            Array(#"{"for_user_id":"2975699229","user_event":{"revoke":{"date_time":"2018-05-24T09:48:12+00:00"}}}"#.utf8))
        #expect(revocation.ignoredReasons == ["unsupported_event"])
        let noAccount = await inboundError { try await Self.post(Array(#"{"direct_message_events":[]}"#.utf8)) }
        #expect(noAccount?.status == 400)
    }

    // MARK: verification

    @Test func officialCRCVector() async throws {
        let vector = try #require(try SignatureVectors.entries("x_twitter").first { $0[pointer: "/crc_request"] != nil })
        let request = try #require(vector[pointer: "/crc_request"]?.text)  // "GET /webhooks/x?crc_token=…"
        let token = try #require(request.components(separatedBy: "crc_token=").last)
        let expected = try #require(vector[pointer: "/expected_response_json/response_token"]?.text)
        #expect(vector[pointer: "/consumer_secret"]?.text == Self.secret)
        let result = try await Self.adapter().receive(hookRequest("GET", path: "/hooks/x", rawQuery: "crc_token=\(token)"))
        guard case .respond(let status, let contentType, let body) = result else {
            Issue.record("no direct answer")
            return
        }
        #expect(status == 200)
        #expect(contentType == "application/json")
        #expect(String(decoding: body, as: UTF8.self) == #"{"response_token":"\#(expected)"}"#)

        let missing = await inboundError { try await Self.adapter().receive(hookRequest("GET", path: "/hooks/x")) }
        #expect(missing?.status == 400)
        let put = await inboundError { try await Self.adapter().receive(hookRequest("PUT", path: "/hooks/x")) }
        #expect(put?.status == 405)
    }

    @Test func officialBodySignatureVectors() async throws {
        let vectors = try SignatureVectors.entries("x_twitter").filter { $0[pointer: "/file"] != nil }
        #expect(vectors.count == 2)
        for vector in vectors {
            let file = try #require(vector[pointer: "/file"]?.text)
            let signature = try #require(vector[pointer: "/x-twitter-webhooks-signature"]?.text)
            let body = try Corpus.file(file)
            #expect(try await Self.post(body, signature: signature).messages.count == 1, "\(file)")

            var tampered = body
            tampered[tampered.count / 2] ^= 0x01
            #expect(await inboundError { try await Self.post(tampered, signature: signature) }?.status == 401)
            let wrongSignature = String(signature.dropLast(2)) + (signature.hasSuffix("A=") ? "B=" : "A=")
            #expect(await inboundError { try await Self.post(body, signature: wrongSignature) }?.status == 401)
        }
        let unsigned = await inboundError {
            try await Self.adapter().receive(
                hookRequest(path: "/hooks/x", body: try Corpus.file("social/twitter/derived_json/direct_message-incoming.json")))
        }
        #expect(unsigned?.status == 401)
    }

    // MARK: reply rules

    @Test func publicMentionsAreNotAnsweredInPublicByDefault() {
        let mention = ReplyContext(to: Self.customer, threadRef: "tweet:1205348660982083584", inReplyTo: "1205348660982083584", text: "Thanks!")
        let refusal = Self.adapter().refusal(for: mention)
        #expect(refusal?.contains("public mentions are recorded but never answered in public") == true)
        #expect(Self.adapter(publicReplies: true).refusal(for: mention) == nil)
        var long = mention
        long.text = String(repeating: "a", count: 281)
        #expect(Self.adapter(publicReplies: true).refusal(for: long)?.contains("280") == true)
        let dm = ReplyContext(to: Self.customer, threadRef: nil, inReplyTo: "1206724334791753732", text: String(repeating: "a", count: 5000))
        #expect(Self.adapter().refusal(for: dm) == nil)
    }

    // MARK: configuration

    @Test func configurationKeysAndProblems() throws {
        let env = ["X_SECRET": Self.secret, "X_TOKEN": Self.accessToken]
        let (built, problems) = try buildThroughFactory(
            XAdapterFactory(), id: "x",
            [
                "user_id": Self.us, "consumer_secret_env": "X_SECRET", "access_token_env": "X_TOKEN", "public_replies": "true",
            ], env: env)
        #expect(problems.isEmpty)
        let adapter = try #require(built as? XAdapter)
        #expect(adapter.settings.publicReplies)
        #expect(adapter.settings.apiBase == "https://api.x.com")
        #expect(adapter.capabilities.canInitiate == false)
        #expect(XAdapterFactories.all.map(\.type) == ["x"])

        let (_, bad) = try buildThroughFactory(
            XAdapterFactory(), id: "x",
            [
                "user_id": "@ScruffyMcG", "consumer_secret_env": "X_SECRET", "access_token_env": "X_TOKEN", "public_reply": "yes",
            ], env: env)
        #expect(bad.contains { $0.contains("numeric X account id") })
        #expect(bad.contains { $0.contains("unknown key 'public_reply'") })

        let (_, missing) = try buildThroughFactory(XAdapterFactory(), id: "x", ["consumer_secret_env": "NOT_SET"])
        #expect(missing.contains { $0.contains("user_id") })
        #expect(missing.contains { $0.contains("NOT_SET is not set") })
        #expect(missing.contains { $0.contains("access_token_env") })
    }

    // MARK: outbound, against a real HTTP server

    @Test(.integration) func directMessageReply() async throws {
        try await FakeAPI.with([
            .init(status: 201, json: #"{"data":{"dm_conversation_id":"1205290247124217856-2975699229","dm_event_id":"1582838213145337861"}}"#)
        ]) { api in
            let receipt = try await Self.adapter(apiBase: api.baseURL).deliver(
                OutboundMessage(
                    id: 5, conversationID: 2, to: Self.customer, text: "Hi! We're on it / ya estamos 👍", inReplyTo: "1206724334791753732"))
            #expect(receipt.externalID == "1582838213145337861")
            let sent = try #require(try await api.requests().first)
            #expect(sent.method == "POST")
            #expect(sent.path == "/2/dm_conversations/with/\(Self.customer)/messages")
            #expect(sent.headers["authorization"] == "Bearer \(Self.accessToken)")
            #expect(sent.headers["content-type"] == "application/json")
            #expect(sent.json == .object(["text": .string("Hi! We're on it / ya estamos 👍")]))
        }
    }

    @Test(.integration) func publicReplyWhenEnabled() async throws {
        try await FakeAPI.with([.init(status: 201, json: #"{"data":{"id":"1445880548472328192","text":"Thanks!"}}"#)]) { api in
            let receipt = try await Self.adapter(apiBase: api.baseURL, publicReplies: true).deliver(
                OutboundMessage(
                    id: 6, conversationID: 2, to: Self.customer, threadRef: "tweet:1205348660982083584", text: "Thanks!"))
            #expect(receipt.externalID == "1445880548472328192")
            let sent = try #require(try await api.requests().first)
            #expect(sent.path == "/2/tweets")
            #expect(sent.json?[pointer: "/reply/in_reply_to_tweet_id"]?.text == "1205348660982083584")
            #expect(sent.json?[pointer: "/text"]?.text == "Thanks!")
        }
        // Disabled: never reaches the API, whatever was queued.
        let failure = await deliveryFailure {
            try await Self.adapter().deliver(OutboundMessage(id: 7, conversationID: 2, to: Self.customer, threadRef: "tweet:1", text: "x"))
        }
        #expect(failure?.permanent == true)
    }

    @Test(.integration) func rateLimitIsTransientUntilTheWindowResets() async throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        try await FakeAPI.with([
            .init(
                status: 429, headers: ["x-rate-limit-reset": "1700000030", "x-rate-limit-remaining": "0"],
                json: #"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#)
        ]) { api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL, now: now).deliver(
                        OutboundMessage(id: 1, conversationID: 1, to: Self.customer, text: "x"))
                })
            #expect(!failure.permanent)
            #expect(failure.retryAfter == .seconds(30))
        }
        try await FakeAPI.with([.init(status: 429, headers: ["Retry-After": "12"], json: "{}")]) { api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL, now: now).deliver(
                        OutboundMessage(id: 1, conversationID: 1, to: Self.customer, text: "x"))
                })
            #expect(failure.retryAfter == .seconds(12))
        }
        try await FakeAPI.with([.init(status: 503, json: #"{"title":"Service Unavailable"}"#)]) { api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: Self.customer, text: "x"))
                })
            #expect(!failure.permanent)
        }
    }

    @Test(.integration) func unauthorizedAndForbiddenArePermanent() async throws {
        for (status, body, words) in [
            (401, #"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#, "Unauthorized"),
            (403, #"{"detail":"You are not permitted to send a DM to this user.","title":"Forbidden","status":403}"#, "not permitted to send a DM"),
        ] {
            try await FakeAPI.with([.init(status: status, json: body)]) { api in
                let failure = try #require(
                    await deliveryFailure {
                        try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: Self.customer, text: "x"))
                    })
                #expect(failure.permanent)
                #expect(failure.reason.contains(words))
                #expect(failure.reason.contains("\(status)"))
                #expect(!failure.reason.contains(Self.accessToken))
            }
        }
    }

    // MARK: the CRC is no signing oracle

    /// An adapter whose CRC bucket never empties, so the shape rule alone is under test.
    static func unlimited() -> XAdapter {
        XAdapter(
            id: "x", settings: XSettings(userID: us, consumerSecret: secret, accessToken: accessToken), transport: socialTransport,
            crcRateLimit: XCRCRateLimit(burst: 1_000_000, interval: 0.000001))
    }

    /// The attack: `GET ?crc_token=<a DM as JSON>` used to answer exactly the signature of a POST
    /// of that JSON, so anyone could forge a DM from any user id.
    @Test func aCRCForAWebhookBodyIsRefusedAndAForgedDMGets401() async throws {
        let adapter = Self.unlimited()
        let forged =
            #"{"for_user_id":"2975699229","direct_message_events":[{"type":"message_create","id":"666","created_timestamp":"1576540475925","message_create":{"target":{"recipient_id":"2975699229"},"sender_id":"44196397","message_data":{"text":"refund me to IBAN X"}}}]}"#
        let crc = await inboundError {
            try await adapter.receive(hookRequest("GET", path: "/hooks/x").withQuery("crc_token", forged))
        }
        #expect(crc?.status == 400)
        // Whatever token-shaped value is answered, its answer does not sign the forged DM.
        let answer = try await adapter.receive(hookRequest("GET", path: "/hooks/x").withQuery("crc_token", "3f0e6d1c-acceptance-crc-token-0001"))
        guard case .respond(200, _, let body) = answer, let token = try JSONValue.parse(body)[pointer: "/response_token"]?.text else {
            Issue.record("no CRC answer")
            return
        }
        #expect(await inboundError { try await Self.post(Array(forged.utf8), signature: token, adapter: adapter) }?.status == 401)
    }

    /// Property: for many JSON documents (webhook bodies and JSON fragments alike), the CRC either
    /// refuses the document as a token or answers something that does not verify as its signature;
    /// and every token that is answered, posted as a body with its own CRC answer as signature,
    /// stores nothing.
    @Test func noCRCAnswerVerifiesAnyWebhookBody() async throws {
        let adapter = Self.unlimited()
        var generator = SeededGenerator(seed: 0x5EED)
        var bodies: [String] = ["{}", "[]", "1", "-1", "1e5", "true", "false", "null", #""x""#, "0", "123456", "[1]", #"{"a":1}"#]
        for _ in 0..<400 { bodies.append(randomJSON(depth: 0, using: &generator)) }
        for _ in 0..<100 { bodies.append(randomDM(using: &generator)) }
        var answered = 0
        for body in bodies {
            let result = try? await adapter.receive(hookRequest("GET", path: "/hooks/x").withQuery("crc_token", body))
            guard case .respond(_, _, let answer)? = result else { continue }
            answered += 1
            let token = try #require(try JSONValue.parse(answer)[pointer: "/response_token"]?.text)
            let verdict = await inboundError { try await Self.post(Array(body.utf8), signature: token, adapter: adapter) }
            #expect(verdict != nil, "the CRC answer of \(body) verified as a webhook")
        }
        #expect(answered == 0, "no JSON document is a token X sends")

        // The other direction: random tokens of X's shape are answered, and none of them is a body.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=")
        var tokens = 0
        for _ in 0..<500 {
            let token = String(
                (0..<Int.random(in: 1...XCRCToken.maxLength, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            guard case .respond(200, _, let answer)? = try? await adapter.receive(hookRequest("GET", path: "/hooks/x").withQuery("crc_token", token))
            else {
                #expect(!XCRCToken.isAcceptable(token), "\(token) was refused")
                continue
            }
            tokens += 1
            let signature = try #require(try JSONValue.parse(answer)[pointer: "/response_token"]?.text)
            let posted = await inboundError { try await Self.post(Array(token.utf8), signature: signature, adapter: adapter) }
            #expect(posted?.status == 400, "a body that is a CRC token stores nothing")
        }
        #expect(tokens > 400)
    }

    @Test func tokensOfTheWrongShapeAreRefused() {
        #expect(XCRCToken.isAcceptable("3f0e6d1c-acceptance-crc-token-0001"))
        #expect(XCRCToken.isAcceptable("ODAzNGQxNjYtMDc0Mi00MjI1LWE1ZDMtOTEwZmNjMzA2NjI4"))
        for token in ["", "{}", #"{"for_user_id":"1"}"#, "123", "1e9", "true", "null", "a b", "a\u{0}", "é", String(repeating: "a", count: 129)] {
            #expect(!XCRCToken.isAcceptable(token), "\(token.debugDescription)")
        }
    }

    @Test func crcChecksAreRateLimited() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
        let adapter = XAdapter(
            id: "x", settings: XSettings(userID: Self.us, consumerSecret: Self.secret, accessToken: Self.accessToken),
            transport: socialTransport, now: { clock.withLock { $0 } }, crcRateLimit: XCRCRateLimit(burst: 3, interval: 10))
        func check() async -> Int {
            do {
                _ = try await adapter.receive(hookRequest("GET", path: "/hooks/x", rawQuery: "crc_token=abc123"))
                return 200
            } catch let error as InboundError {
                return error.status
            } catch {
                return 0
            }
        }
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(await check()) }
        #expect(statuses == [200, 200, 200, 429, 429])
        clock.withLock { $0 += 10 }
        #expect(await check() == 200, "one more after the interval")
        #expect(await check() == 429)
    }
}

extension InboundRequest {
    /// The request with `name` set to `value` in its decoded query (as the gateway decodes it).
    func withQuery(_ name: String, _ value: String) -> InboundRequest {
        var copy = self
        copy.query[name] = value
        copy.rawQuery = name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return copy
    }
}

/// A small deterministic generator (SplitMix64), so a failing case is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random JSON document (compact), objects and arrays nested a little.
func randomJSON(depth: Int, using g: inout SeededGenerator) -> String {
    switch depth > 2 ? Int.random(in: 0...3, using: &g) : Int.random(in: 0...5, using: &g) {
    case 0: return String(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &g))
    case 1: return String(Double.random(in: -1e6...1e6, using: &g))
    case 2: return ["true", "false", "null"].randomElement(using: &g)!
    case 3: return "\"" + String((0..<Int.random(in: 0...12, using: &g)).map { _ in "abcXYZ019 -_/+=é".randomElement(using: &g)! }) + "\""
    case 4:
        var items: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &g) { items.append(randomJSON(depth: depth + 1, using: &g)) }
        return "[" + items.joined(separator: ",") + "]"
    default:
        var members: [String] = []
        for i in 0..<Int.random(in: 0...4, using: &g) { members.append("\"k\(i)\":" + randomJSON(depth: depth + 1, using: &g)) }
        return "{" + members.joined(separator: ",") + "}"
    }
}

/// A DM delivery for our account from a random sender, as a forger would write it.
func randomDM(using g: inout SeededGenerator) -> String {
    let sender = UInt64.random(in: 1...UInt64(Int64.max), using: &g)
    return
        #"{"for_user_id":"2975699229","direct_message_events":[{"type":"message_create","id":"\#(UInt64.random(in: 1...UInt64(Int64.max), using: &g))","message_create":{"sender_id":"\#(sender)","message_data":{"text":"hi \#(sender)"}}}]}"#
}
