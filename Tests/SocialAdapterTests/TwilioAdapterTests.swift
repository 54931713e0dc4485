import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing
import TwilioAdapter

@Suite("Twilio SMS adapter")
struct TwilioAdapterTests {
    static let authToken = "acceptance_test_auth_token_0001"
    static let accountSID = "ACACCEPTANCE0000000000000000000001"
    static let ourNumber = "+15005550006"

    static func adapter(
        apiBase: String = "https://api.twilio.com", publicURL: String = "https://router.example.com", id: String = "sms"
    ) -> TwilioAdapter {
        TwilioAdapter(
            id: id, settings: TwilioSettings(apiBase: apiBase, accountSID: accountSID, authToken: authToken, from: ourNumber),
            publicURL: publicURL, transport: socialTransport)
    }

    /// A form POST to `url` (split into the adapter's public URL, path and query), signed as
    /// Twilio signs it unless a signature is given.
    static func post(
        _ body: [UInt8], url: String = "https://router.example.com/webhooks/twilio/sms", signature: String? = nil,
        adapter: TwilioAdapter = TwilioAdapterTests.adapter()
    ) async throws -> InboundResult {
        let sig = signature ?? TwilioSignature.compute(url: url, params: FormEncoding.parse(body), authToken: authToken)
        let rest = url.dropFirst(adapter.publicURL.count)
        let path = String(rest.split(separator: "?", maxSplits: 1).first ?? "")
        let query = rest.contains("?") ? String(rest.split(separator: "?", maxSplits: 1)[1]) : nil
        return try await adapter.receive(
            hookRequest(
                path: path, rawQuery: query,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), (TwilioSignature.header, sig)], body: body))
    }

    // MARK: form bodies

    @Test func formBodiesAreDecodedProperly() {
        let pairs = FormEncoding.parse("Body=caf%C3%A9+con+leche%21&Body=second&Empty=&Flag&Odd=100%+sure%2&Plus=a%2Bb")
        #expect(pairs.map(\.name) == ["Body", "Body", "Empty", "Flag", "Odd", "Plus"])
        #expect(pairs.map(\.value) == ["café con leche!", "second", "", "", "100% sure%2", "a+b"])
        let encoded = FormEncoding.encode([("Body", "Grüße – 50% off & more 📞"), ("To", "+34600111222")])
        #expect(String(decoding: encoded, as: UTF8.self) == "Body=Gr%C3%BC%C3%9Fe+%E2%80%93+50%25+off+%26+more+%F0%9F%93%9E&To=%2B34600111222")
        #expect(FormEncoding.parse(encoded).map(\.value) == ["Grüße – 50% off & more 📞", "+34600111222"])
    }

    // MARK: corpus and official vectors

    @Test func everyCorpusWebhookVerifiesWithItsVectorAndDecodes() async throws {
        let vectors = try SignatureVectors.entries("twilio").filter { $0[pointer: "/file"]?.text?.hasPrefix("social/twilio_sms/") == true }
        var files = try Corpus.files(in: "social/twilio_sms/derived", ext: "form").map { "social/twilio_sms/derived/" + $0.lastPathComponent }
        files += try Corpus.files(in: "social/twilio_sms/constructed", ext: "form").map { "social/twilio_sms/constructed/" + $0.lastPathComponent }
        #expect(files.count == 5)
        for file in files {
            let vector = try #require(vectors.first { $0[pointer: "/file"]?.text == file }, "no vector for \(file)")
            let url = try #require(vector[pointer: "/url"]?.text)
            let signature = try #require(vector[pointer: "/X-Twilio-Signature"]?.text)
            #expect(vector[pointer: "/auth_token"]?.text == Self.authToken)
            let body = try Corpus.file(file)
            let messages = try await Self.post(body, url: url, signature: signature).messages
            #expect(messages.count == 1, "\(file)")

            // One changed byte in the body, or a different URL, and the signature no longer holds.
            var tampered = body
            if let index = tampered.firstIndex(of: UInt8(ascii: "+")) {
                tampered[index] = UInt8(ascii: "-")
            } else {
                tampered.append(UInt8(ascii: "x"))
            }
            #expect(await inboundError { try await Self.post(tampered, url: url, signature: signature) }?.status == 401, "\(file)")
            let elsewhere = url.replacingOccurrences(of: "/sms", with: "/sms2")
            #expect(await inboundError { try await Self.post(body, url: elsewhere, signature: signature) }?.status == 401, "\(file)")
        }
    }

    @Test func inboundSMSFields() async throws {
        let body = try Corpus.file("social/twilio_sms/derived/inbound_sms1.form")
        let message = try #require(try await Self.post(body).messages.first)
        #expect(message.externalID == "SM1bd5330f81336e8b54c2d3d9fc1bcb6a")
        #expect(message.from == ChannelIdentity(channel: "phone", address: "+491710000000"))
        #expect(message.text == "Ldfhxhcuffufuf. Fifififig.  Fifififiif Fifififiif Fifififiif Fifififiif Fifififiif")
        #expect(message.metadata["to"] == "+4915700000000")
        #expect(message.metadata["from_country"] == "DE")
        #expect(message.metadata["from_city"] == nil, "empty parameters are not facts")
        #expect(message.attachments.isEmpty)
        #expect(message.sentAt == nil, "Twilio sends no time: arrival time applies")
    }

    @Test func mmsMediaBecomeAttachments() async throws {
        let body = try Corpus.file("social/twilio_sms/constructed/inbound_mms_two_media.form")
        let message = try #require(try await Self.post(body).messages.first)
        #expect(message.text == "Here are the photos of the damage")
        #expect(message.from.address == "+12025550143")
        #expect(message.attachments.map(\.mimeType) == ["image/jpeg", "image/png"])
        #expect(message.attachments.map(\.kind) == ["image", "image"])
        #expect(message.attachments.map(\.platformID) == ["MEACCEPTANCE000000000000000000000A", "MEACCEPTANCE000000000000000000000B"])
        #expect(
            message.attachments.first?.url
                == "https://api.twilio.com/2010-04-01/Accounts/ACACCEPTANCE0000000000000000000001/Messages/MMACCEPTANCE00000000000000000001/Media/MEACCEPTANCE000000000000000000000A"
        )
    }

    @Test func unicodeBodySignedWithAQueryString() async throws {
        let body = try Corpus.file("social/twilio_sms/constructed/inbound_sms_unicode.form")
        let message = try #require(
            try await Self.post(body, url: "https://router.example.com/webhooks/twilio/sms?tenant=acme&channel=sms").messages.first)
        #expect(message.text == "Grüße – Rückruf bitte 📞")
        #expect(message.externalID == "SMACCEPTANCE0000000000000000000002")
    }

    @Test func officialTwilioPythonVectors() throws {
        let vector = try #require(try SignatureVectors.entries("twilio").first { $0[pointer: "/params"] != nil })
        let url = try #require(vector[pointer: "/url"]?.text)
        let token = try #require(vector[pointer: "/auth_token"]?.text)
        let params = try #require(vector[pointer: "/params"]).stringMembers.map { (name: $0.key, value: $0.value) }
        let expected = try #require(vector[pointer: "/X-Twilio-Signature"]?.text)
        #expect(TwilioSignature.compute(url: url, params: params, authToken: token) == expected)
        #expect(TwilioSignature.isValid(expected, url: url, params: params, authToken: token))
        #expect(!TwilioSignature.isValid(expected, url: url, params: params, authToken: token + "x"))
        #expect(!TwilioSignature.isValid(expected, url: url, params: params.dropLast(), authToken: token))

        // Signed with ":443" in the URL; accepted for the URL without it, as Twilio's SDKs do.
        let with443 = try #require(vector[pointer: "/same_with_url_port_443"]?.text)
        #expect(TwilioSignature.isValid(with443, url: url, params: params, authToken: token))
        #expect(TwilioSignature.compute(url: url.replacingOccurrences(of: ".com/", with: ".com:443/"), params: params, authToken: token) == with443)

        // JSON bodies are signed over the URL alone (which carries bodySHA256).
        let jsonURL = try #require(vector[pointer: "/json_body_variant/url"]?.text)
        #expect(TwilioSignature.compute(url: jsonURL, params: [], authToken: token) == vector[pointer: "/json_body_variant/X-Twilio-Signature"]?.text)

        // Repeated names are sorted by value.
        guard case .array(let raw)? = vector[pointer: "/duplicate_param_variant/pairs"] else {
            Issue.record("no pairs")
            return
        }
        let pairs = raw.compactMap { pair -> (name: String, value: String)? in
            guard case .array(let two) = pair, let n = two.first?.text, let v = two.last?.text else { return nil }
            return (n, v)
        }
        #expect(
            TwilioSignature.compute(url: url, params: pairs, authToken: token) == vector[pointer: "/duplicate_param_variant/X-Twilio-Signature"]?.text
        )
    }

    @Test func voiceCallbackVectorsUseTheSameScheme() throws {
        let vectors = try SignatureVectors.entries("twilio").filter { $0[pointer: "/file"]?.text?.hasPrefix("phone/twilio_voice/") == true }
        #expect(vectors.count == 8)
        for vector in vectors {
            let file = try #require(vector[pointer: "/file"]?.text)
            let params = FormEncoding.parse(try Corpus.file(file))
            let url = try #require(vector[pointer: "/url"]?.text)
            #expect(
                TwilioSignature.isValid(vector[pointer: "/X-Twilio-Signature"]?.text, url: url, params: params, authToken: Self.authToken), "\(file)")
        }
    }

    @Test func refusedRequests() async throws {
        let body = try Corpus.file("social/twilio_sms/derived/inbound_sms2.form")
        let unsigned = await inboundError {
            try await Self.adapter().receive(
                hookRequest(path: "/webhooks/twilio/sms", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body))
        }
        #expect(unsigned?.status == 401)
        // The signature covers the public URL: a gateway configured with another public URL refuses it.
        let otherHost = await inboundError { try await Self.post(body, adapter: Self.adapter(publicURL: "https://other.example.com")) }
        #expect(otherHost?.status == 401)
        let json = await inboundError {
            try await Self.adapter().receive(
                hookRequest(
                    path: "/webhooks/twilio/sms", headers: [("Content-Type", "application/json"), (TwilioSignature.header, "x")],
                    body: Array("{}".utf8)))
        }
        #expect(json?.status == 400)
        let notAMessage = await inboundError { try await Self.post(Array("Hello=world".utf8)) }
        #expect(notAMessage?.status == 400)
        #expect(notAMessage?.reason.contains("MessageSid") == true)
    }

    @Test func getWebhooksAreSignedOverTheURL() async throws {
        let query = "MessageSid=SMget1&From=%2B34600111222&Body=hola+que+tal"
        let url = "https://router.example.com/hooks/sms?" + query
        let signature = TwilioSignature.compute(url: url, params: [], authToken: Self.authToken)
        let result = try await Self.adapter().receive(
            hookRequest("GET", path: "/hooks/sms", rawQuery: query, headers: [(TwilioSignature.header, signature)]))
        #expect(result.messages.first?.text == "hola que tal")
        #expect(result.messages.first?.from.address == "+34600111222")
    }

    // MARK: status callbacks

    @Test func statusCallbacksBecomeDeliveryReports() async throws {
        func callback(_ fields: String) async throws -> [DeliveryStatusUpdate] {
            let body =
                "SmsSid=SMout1&SmsStatus=\(fields)&MessageSid=SMout1&AccountSid=\(Self.accountSID)&From=%2B15005550006&To=%2B34600111222&ApiVersion=2010-04-01"
            return try await Self.post(Array(body.utf8), url: "https://router.example.com/hooks/sms").statuses
        }
        #expect(try await callback("sent&MessageStatus=sent").map(\.state) == [.sent])
        #expect(try await callback("delivered&MessageStatus=delivered").map(\.state) == [.delivered])
        #expect(try await callback("queued&MessageStatus=queued").isEmpty, "no news in an intermediate state")
        let failed = try #require(try await callback("undelivered&MessageStatus=undelivered&ErrorCode=30006").first)
        #expect(failed.externalID == "SMout1")
        #expect(failed.state == .failed)
        #expect(failed.error == "undelivered: error 30006 (landline or unreachable carrier)")
        let plain = try #require(try await callback("failed&MessageStatus=failed").first)
        #expect(plain.error == "failed")
    }

    // MARK: configuration

    @Test func configurationKeysAndProblems() throws {
        let env = ["TWILIO_TOKEN": Self.authToken]
        let (built, problems) = try buildThroughFactory(
            TwilioSMSAdapterFactory(), id: "sms",
            [
                "account_sid": Self.accountSID, "auth_token_env": "TWILIO_TOKEN", "from": Self.ourNumber,
            ], env: env, publicURL: "https://sb.example.com/")
        #expect(problems.isEmpty)
        let adapter = try #require(built as? TwilioAdapter)
        #expect(adapter.settings.apiBase == "https://api.twilio.com")
        #expect(adapter.statusCallbackURL == "https://sb.example.com/hooks/sms")
        #expect(adapter.capabilities.maxTextLength == 1600)
        #expect(adapter.capabilities.canInitiate)
        #expect(adapter.identityChannel == "phone")
        #expect(TwilioAdapterFactories.all.map(\.type) == ["twilio-sms"])

        let (_, bad) = try buildThroughFactory(
            TwilioSMSAdapterFactory(), id: "sms",
            [
                "account_sid": "12345", "auth_token_env": "TWILIO_TOKEN", "from": "600 111 222", "messaging_service": "MG1",
            ], env: env)
        #expect(bad.contains { $0.contains("account SID") })
        #expect(bad.contains { $0.contains("E.164") })
        #expect(bad.contains { $0.contains("unknown key 'messaging_service'") })

        let (_, missing) = try buildThroughFactory(TwilioSMSAdapterFactory(), id: "sms", [:])
        #expect(missing.contains { $0.contains("account_sid") })
        #expect(missing.contains { $0.contains("auth_token_env") })
        #expect(missing.contains { $0.contains("'from'") })
    }

    // MARK: outbound, against a real HTTP server

    @Test(.integration) func replyIsCreatedThroughTheMessagesAPI() async throws {
        try await FakeAPI.with([.init(status: 201, json: #"{"sid":"SMf00d","status":"queued","to":"+34600111222","from":"+15005550006"}"#)]) { api in
            let adapter = Self.adapter(apiBase: api.baseURL, publicURL: "https://sb.example.com")
            // As stored from a customer who wrote "0034 600 111 222": Twilio needs E.164.
            let receipt = try await adapter.deliver(
                OutboundMessage(
                    id: 9, conversationID: 4, to: "0034 600 111 222", text: "Hola Ana: 50% & más 📦", inReplyTo: "SM1"))
            #expect(receipt.externalID == "SMf00d")
            #expect(receipt.state == .sent, "delivered comes later, by status callback")
            let sent = try #require(try await api.requests().first)
            #expect(sent.method == "POST")
            #expect(sent.path == "/2010-04-01/Accounts/\(Self.accountSID)/Messages.json")
            let credentials = Data("\(Self.accountSID):\(Self.authToken)".utf8).base64EncodedString()
            #expect(sent.headers["authorization"] == "Basic \(credentials)")
            #expect(sent.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(
                sent.form == [
                    "To": "+34600111222", "From": Self.ourNumber, "Body": "Hola Ana: 50% & más 📦",
                    "StatusCallback": "https://sb.example.com/hooks/sms",
                ])
        }
    }

    @Test(.integration) func unsubscribedRecipientIsPermanent() async throws {
        try await FakeAPI.with([
            .init(
                status: 400,
                json:
                    #"{"code":21610,"message":"Attempt to send to unsubscribed recipient","more_info":"https://www.twilio.com/docs/errors/21610","status":400}"#
            )
        ]) { api in
            let failure = try #require(
                await deliveryFailure {
                    try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: "+34600111222", text: "x"))
                })
            #expect(failure.permanent)
            #expect(failure.reason.contains("21610"))
            #expect(failure.reason.contains("Attempt to send to unsubscribed recipient"))
            #expect(!failure.reason.contains(Self.authToken))
        }
    }

    @Test(.integration) func throttlingAndServerErrorsAreTransient() async throws {
        let cases: [(FakeAPI.Response, Duration?)] = [
            (.init(status: 429, headers: ["Retry-After": "5"], json: #"{"code":20429,"message":"Too Many Requests","status":429}"#), .seconds(5)),
            (.init(status: 503, json: #"{"code":20503,"message":"Service unavailable","status":503}"#), nil),
            (
                .init(
                    status: 400,
                    json: #"{"code":21611,"message":"This 'From' number has exceeded the maximum number of queued messages","status":400}"#), nil
            ),
        ]
        for (response, retryAfter) in cases {
            try await FakeAPI.with([response]) { api in
                let failure = try #require(
                    await deliveryFailure {
                        try await Self.adapter(apiBase: api.baseURL).deliver(OutboundMessage(id: 1, conversationID: 1, to: "+34600111222", text: "x"))
                    })
                #expect(!failure.permanent, "\(response.status) \(response.body)")
                #expect(failure.retryAfter == retryAfter)
            }
        }
        let unreachable = try #require(
            await deliveryFailure {
                try await Self.adapter(apiBase: try unusedLoopbackURL()).deliver(
                    OutboundMessage(id: 1, conversationID: 1, to: "+34600111222", text: "x"))
            })
        #expect(!unreachable.permanent)
    }

    @Test func addressesThatAreNoPhoneNumberFailAtOnce() async throws {
        for address in ["600111222", "someone@example.com", ""] {
            let failure = await deliveryFailure {
                try await Self.adapter(apiBase: "http://127.0.0.1:9").deliver(OutboundMessage(id: 1, conversationID: 1, to: address, text: "x"))
            }
            #expect(failure?.permanent == true, "\(address)")
        }
    }
}
