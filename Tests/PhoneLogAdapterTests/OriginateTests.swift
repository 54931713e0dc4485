import Foundation
import PhoneLogAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

@Suite("Call-backs (originate)")
struct OriginateTests {
    static func reply(
        _ text: String = "Calling you back about the refund", to: String = "+34600123456", purpose: OutboundMessage.Purpose = .reply
    ) -> OutboundMessage {
        OutboundMessage(id: 42, conversationID: 7, to: to, text: text, inReplyTo: "1718006400.1", customerName: "Ana", purpose: purpose)
    }

    @Test func withoutOriginateTheReplyIsRefusedWithTheWayOut() async throws {
        let (adapter, problems) = try phoneAdapter([("format", scalar("asterisk-cdr"))])
        #expect(problems.isEmpty)
        let reason = try #require(adapter.refusal(for: ReplyContext(to: "+34600123456", threadRef: nil, inReplyTo: nil, text: "hi")))
        #expect(reason.contains("cannot place calls"))
        #expect(reason.contains("record the outcome as a note"))
        #expect(reason.contains("`via`"))
        #expect(adapter.capabilities.replyRefusal == reason)
        #expect(!adapter.capabilities.canInitiate)
        #expect(adapter.capabilities.replyWindow == nil)
        #expect(adapter.identityChannel == nil)
        let failure = await #expect(throws: DeliveryFailure.self) { _ = try await adapter.deliver(Self.reply()) }
        #expect(failure?.permanent == true)
    }

    @Test func jsonStylePostsTheCallbackWithIdempotencyKey() async throws {
        let transport = CapturingTransport()
        let (adapter, problems) = try phoneAdapter(
            [
                ("format", scalar("asterisk-cdr")), ("country_code", scalar("34")),
                ("originate", mapping([("url", "http://pbx.example.com/callbacks"), ("token_env", "PBX_TOKEN")])),
            ], env: ["PBX_TOKEN": "pbx-token"], transport: transport)
        #expect(problems.isEmpty)
        #expect(adapter.refusal(for: ReplyContext(to: "600123456", threadRef: nil, inReplyTo: nil, text: "x")) == nil)
        #expect(adapter.capabilities.canInitiate)
        #expect(adapter.identityChannel == "phone")
        let receipt = try await adapter.deliver(Self.reply(to: "600 123 456"))
        #expect(receipt == DeliveryReceipt(externalID: "call-1", state: .sent))
        let request = try #require(transport.requests.first)
        #expect(request.url == "http://pbx.example.com/callbacks")
        #expect(request.headers.contains { $0.name == "Idempotency-Key" && $0.value == "42" })
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "Bearer pbx-token" })
        let body = try JSONValue.parse(request.body)
        #expect(body["to"] == .string("+34600123456"))
        #expect(body["conversation"] == .integer(7))
        #expect(body["reference"] == .string("SB-000007"))
        #expect(body["note"] == .string("Calling you back about the refund"))
        #expect(body["id"] == .integer(42))
    }

    @Test func ariStyleOriginatesAChannel() async throws {
        let transport = CapturingTransport { _ in HTTPResponse(status: 200, body: Array(#"{"id":"switchboard-42","name":"PJSIP/trunk-0001"}"#.utf8)) }
        let (adapter, problems) = try phoneAdapter(
            [
                ("format", scalar("asterisk-cdr")), ("country_code", scalar("34")),
                (
                    "originate",
                    mapping([
                        ("style", "ari"), ("url", "http://pbx:8088/ari/channels"), ("token_env", "ARI_AUTH"),
                        ("endpoint", "PJSIP/{number}@trunk"), ("extension", "callbacks"), ("context", "from-switchboard"),
                        ("caller_id", "+34910000000"),
                    ])
                ),
            ], env: ["ARI_AUTH": "switchboard:secret"], transport: transport)
        #expect(problems.isEmpty)
        let receipt = try await adapter.deliver(Self.reply())
        #expect(receipt.externalID == "switchboard-42")
        let request = try #require(transport.requests.first)
        let query = FormEncoding.parse(String(request.url.split(separator: "?", maxSplits: 1)[1]))
        let fields = Dictionary(query.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(request.url.hasPrefix("http://pbx:8088/ari/channels?"))
        #expect(fields["endpoint"] == "PJSIP/+34600123456@trunk")
        #expect(fields["extension"] == "callbacks")
        #expect(fields["context"] == "from-switchboard")
        #expect(fields["callerId"] == "+34910000000")
        #expect(fields["channelId"] == "switchboard-42")
        #expect(
            request.headers.contains { $0.name == "Authorization" && $0.value == "Basic " + Data("switchboard:secret".utf8).base64EncodedString() })
        #expect(try JSONValue.parse(request.body)[pointer: "/variables/SWITCHBOARD_REFERENCE"] == .string("SB-000007"))

        // A retry after a lost answer: ARI says the channel id exists, i.e. the call was placed.
        let again = CapturingTransport { _ in
            HTTPResponse(status: 409, body: Array(#"{"message":"Channel with given unique ID already exists"}"#.utf8))
        }
        let (retrying, _) = try phoneAdapter(
            [
                ("format", scalar("asterisk-cdr")),
                (
                    "originate",
                    mapping([("style", "ari"), ("url", "http://pbx:8088/ari/channels"), ("token_env", "ARI_AUTH"), ("extension", "callbacks")])
                ),
            ], env: ["ARI_AUTH": "u:p"], transport: again)
        #expect(try await retrying.deliver(Self.reply()).state == .sent)
    }

    @Test func twilioStyleUsesTheCallsAPI() async throws {
        let transport = CapturingTransport { _ in HTTPResponse(status: 201, body: Array(#"{"sid":"CA0042","status":"queued"}"#.utf8)) }
        let (adapter, problems) = try phoneAdapter(
            [
                ("format", scalar("twilio-voice")), ("account_sid", scalar("AC0001")), ("auth_token_env", scalar("TWILIO_TOKEN")),
                ("originate", mapping([("style", "twilio"), ("caller_id", "+15005550006"), ("call_url", "https://sb.example.com/twiml/connect")])),
            ], env: ["TWILIO_TOKEN": "tok"], transport: transport, id: "voice")
        #expect(problems.isEmpty)
        #expect(try await adapter.deliver(Self.reply()).externalID == "CA0042")
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://api.twilio.com/2010-04-01/Accounts/AC0001/Calls.json")
        let form = Dictionary(FormEncoding.parse(request.body).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(form["To"] == "+34600123456")
        #expect(form["From"] == "+15005550006")
        #expect(form["Url"] == "https://sb.example.com/twiml/connect")
        #expect(form["StatusCallback"] == "https://sb.example.com/hooks/voice", "the call-back's outcome comes back as an activity")
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "Basic " + Data("AC0001:tok".utf8).base64EncodedString() })
    }

    @Test func failuresAreClassified() async throws {
        for (status, permanent) in [(503, false), (429, false), (400, true), (401, true)] {
            let transport = CapturingTransport { _ in HTTPResponse(status: status, body: Array("nope".utf8)) }
            let (adapter, _) = try phoneAdapter(
                [
                    ("format", scalar("json")), ("originate", mapping([("url", "http://pbx.example.com/cb")])),
                ], transport: transport)
            let failure = await #expect(throws: DeliveryFailure.self) { _ = try await adapter.deliver(Self.reply()) }
            #expect(failure?.permanent == permanent, "\(status)")
        }
        let (adapter, _) = try phoneAdapter([("format", scalar("json")), ("originate", mapping([("url", "http://pbx.example.com/cb")]))])
        let notANumber = await #expect(throws: DeliveryFailure.self) { _ = try await adapter.deliver(Self.reply(to: "client1")) }
        #expect(notANumber?.permanent == true)
        let acknowledgement = await #expect(throws: DeliveryFailure.self) { _ = try await adapter.deliver(Self.reply(purpose: .acknowledgement)) }
        #expect(acknowledgement?.permanent == true)
    }

    @Test(.integration) func aLocalServerPlaysThePBX() async throws {
        try await LocalPBX.with { pbx in
            let (adapter, problems) = try phoneAdapter(
                [
                    ("format", scalar("asterisk-cdr")), ("country_code", scalar("34")),
                    ("originate", mapping([("url", "http://127.0.0.1:\(pbx.port)/originate"), ("token_env", "PBX_TOKEN")])),
                ], env: ["PBX_TOKEN": "local-token"], transport: URLSessionTransport())
            #expect(problems.isEmpty)
            let receipt = try await adapter.deliver(Self.reply(to: "600123456"))
            #expect(receipt == DeliveryReceipt(externalID: "pbx-call-1", state: .sent))
            let seen = try pbx.requests()
            #expect(seen.count == 1)
            #expect(seen[0][pointer: "/path"] == .string("/originate"))
            #expect(seen[0][pointer: "/headers/authorization"] == .string("Bearer local-token"))
            #expect(seen[0][pointer: "/headers/idempotency-key"] == .string("42"))
            #expect(seen[0][pointer: "/body/to"] == .string("+34600123456"))

            // The PBX is down: a transient failure the outbox retries.
            let (down, _) = try phoneAdapter(
                [
                    ("format", scalar("asterisk-cdr")), ("originate", mapping([("url", "http://127.0.0.1:\(pbx.port)/status/503")])),
                ], transport: URLSessionTransport())
            let failure = await #expect(throws: DeliveryFailure.self) { _ = try await down.deliver(Self.reply()) }
            #expect(failure?.permanent == false)
        }
    }
}
