import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization
import Testing
import WebhookAdapter

@Suite struct WebhookAdapterTests {
    static let yaml = ConfigNode(
        .map([
            ("secret_env", 1, ConfigNode(.scalar("HOOK"), line: 1)),
            ("inbound", 2, ConfigNode(.map([("customer", 3, ConfigNode(.scalar("/sender/address"), line: 3))]), line: 2)),
            ("outbound", 4, ConfigNode(.map([("url", 5, ConfigNode(.scalar("http://127.0.0.1:9/send"), line: 5))]), line: 4)),
            ("identity", 6, ConfigNode(.scalar("email"), line: 6)),
        ]), line: 1)

    func adapter(transport: any HTTPTransport = ClosureTransport { _ in HTTPResponse(status: 200) }) -> (WebhookAdapter, ConfigDiagnostics) {
        let diagnostics = ConfigDiagnostics(file: "test.yaml")
        let section = ConfigSection(Self.yaml, path: "adapters[0]", diagnostics: diagnostics, environment: { $0 == "HOOK" ? "s3cret" : nil })
        let adapter = WebhookAdapter(id: "shop", settings: WebhookSettings(id: "shop", config: section), transport: transport)
        section.finish()
        return (adapter, diagnostics)
    }

    func request(_ json: String, signature: String? = nil) -> InboundRequest {
        let body = Array(json.utf8)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        headers.append(("X-Switchboard-Signature", signature ?? "sha256=" + Signatures.hmacSHA256Hex(key: "s3cret", body)))
        return InboundRequest(method: "POST", path: "/hooks/shop", headers: headers, body: body)
    }

    @Test func decodesByJSONPointer() async throws {
        let (a, diagnostics) = adapter()
        #expect(diagnostics.problems.isEmpty)
        let result = try await a.receive(request(#"{"id": 42, "sender": {"address": "Ann@X.org"}, "name": "Ann", "text": "hi", "ts": 1764064800}"#))
        guard case .events(let events) = result, case .message(let m) = events.first else {
            Issue.record("no message decoded")
            return
        }
        #expect(m.externalID == "42")
        #expect(m.from == ChannelIdentity(channel: "email", address: "Ann@X.org"))
        #expect(m.customerName == "Ann")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_764_064_800))
    }

    @Test func decodesABatch() async throws {
        let (a, _) = adapter()
        let result = try await a.receive(request(#"[{"id":"1","sender":{"address":"a"},"text":"x"},{"id":"2","sender":{"address":"b"},"text":"y"}]"#))
        guard case .events(let events) = result else {
            Issue.record("no events")
            return
        }
        #expect(events.count == 2)
    }

    @Test func refusesBadSignatures() async throws {
        let (a, _) = adapter()
        await #expect(throws: InboundError.unauthorized("signature does not match the body")) {
            try await a.receive(request(#"{"id":"1","sender":{"address":"a"},"text":"x"}"#, signature: "sha256=00ff"))
        }
        var unsigned = request(#"{"id":"1"}"#)
        unsigned.headers.removeAll { $0.name == "X-Switchboard-Signature" }
        await #expect(throws: InboundError.self) { try await a.receive(unsigned) }
    }

    @Test(arguments: [
        (#"{"id":"1","text":"x"}"#, "missing 'customer' at JSON pointer /sender/address"),
        (#"{"sender":{"address":"a"},"text":"x"}"#, "missing 'message_id' at JSON pointer /id"),
        (#"{"id":"1","sender":{"address":"a"}}"#, "missing 'text' at JSON pointer /text"),
        (
            #"{"id":"1","sender":{"address":"a"},"text":"x","ts":"yesterday"}"#,
            "'sent_at' at JSON pointer /ts is not a plausible time in ISO 8601 or epoch seconds: yesterday"
        ),
        (
            #"{"id":"1","sender":{"address":"a"},"text":"x","ts":"NaN"}"#,
            "'sent_at' at JSON pointer /ts is not a plausible time in ISO 8601 or epoch seconds: NaN"
        ),
    ])
    func explainsMalformedMessages(json: String, reason: String) async throws {
        let (a, _) = adapter()
        await #expect(throws: InboundError.malformed(reason)) { try await a.receive(request(json)) }
    }

    @Test func rejectsInvalidJSON() async throws {
        let (a, _) = adapter()
        do {
            _ = try await a.receive(request("{not json"))
            Issue.record("accepted invalid JSON")
        } catch let error as InboundError {
            #expect(error.status == 400)
            #expect(error.reason.hasPrefix("body is not valid JSON"))
        }
    }

    @Test func deliversSignedJSONWithAnIdempotencyKey() async throws {
        let seen = Mutex<[HTTPRequest]>([])
        let (a, _) = adapter(
            transport: ClosureTransport { request in
                seen.withLock { $0.append(request) }
                return HTTPResponse(status: 202, body: Array(#"{"id":"remote-7"}"#.utf8))
            })
        let receipt = try await a.deliver(OutboundMessage(id: 9, conversationID: 3, to: "a@x", text: "hello", inReplyTo: "ext-1"))
        #expect(receipt.externalID == "remote-7")
        let sent = try #require(seen.withLock { $0.first })
        #expect(sent.url == "http://127.0.0.1:9/send")
        let headers = Dictionary(uniqueKeysWithValues: sent.headers.map { ($0.name, $0.value) })
        #expect(headers["Idempotency-Key"] == "9")
        #expect(headers["X-Switchboard-Signature"] == "sha256=" + Signatures.hmacSHA256Hex(key: "s3cret", sent.body))
        let body = try JSONValue.parse(sent.body)
        #expect(
            body
                == .object([
                    "id": .integer(9), "conversation": .integer(3), "to": .string("a@x"), "text": .string("hello"), "in_reply_to": .string("ext-1"),
                ]))
    }

    @Test func classifiesFailures() async throws {
        let (a500, _) = adapter(transport: ClosureTransport { _ in HTTPResponse(status: 503, headers: [("Retry-After", "7")]) })
        do {
            _ = try await a500.deliver(OutboundMessage(id: 1, conversationID: 1, to: "a", text: "x"))
        } catch let failure as DeliveryFailure {
            #expect(!failure.permanent)
            #expect(failure.retryAfter == .seconds(7))
            #expect(failure.reason.contains("503"))
        }
        let (a404, _) = adapter(transport: ClosureTransport { _ in HTTPResponse(status: 404) })
        do {
            _ = try await a404.deliver(OutboundMessage(id: 1, conversationID: 1, to: "a", text: "x"))
        } catch let failure as DeliveryFailure {
            #expect(failure.permanent)
        }
        let (down, _) = adapter(transport: ClosureTransport { _ in throw TransportError("connection refused") })
        do {
            _ = try await down.deliver(OutboundMessage(id: 1, conversationID: 1, to: "a", text: "x"))
        } catch let failure as DeliveryFailure {
            #expect(!failure.permanent)
            #expect(failure.reason.contains("connection refused"))
        }
    }
}

@Suite struct JSONValueTests {
    @Test func keepsTheKindOfEveryValue() throws {
        let v = try JSONValue.parse(Array(#"{"t":true,"f":false,"i":1,"z":0,"big":1234567890123456789,"d":1.5,"s":"x","n":null,"a":[1]}"#.utf8))
        #expect(v[pointer: "/t"] == .bool(true))
        #expect(v[pointer: "/f"] == .bool(false))
        #expect(v[pointer: "/i"] == .integer(1))
        #expect(v[pointer: "/z"] == .integer(0))
        #expect(v[pointer: "/big"] == .integer(1_234_567_890_123_456_789))
        #expect(v[pointer: "/d"] == .number(1.5))
        #expect(v[pointer: "/s"] == .string("x"))
        #expect(v[pointer: "/n"] == .null)
        #expect(v[pointer: "/a/0"] == .integer(1))
        #expect(v[pointer: "/a/1"] == nil)
    }

    @Test func wholeNumbersBeyond64BitsKeepTheirDigits() throws {
        let v = try JSONValue.parse(
            Array(
                #"{"u":18446744073709551615,"d":99999999999999999999,"n":-9223372036854775809,"max":9223372036854775807,"long":1234567890123456789012345678901234567890123,"f":1.25}"#
                    .utf8))
        #expect(v[pointer: "/u"] == .string("18446744073709551615"))
        #expect(v[pointer: "/d"] == .string("99999999999999999999"))
        #expect(v[pointer: "/n"] == .string("-9223372036854775809"))
        #expect(v[pointer: "/max"] == .integer(.max))
        #expect(v[pointer: "/long"]?.idText == nil, "more digits than can be read exactly: never an id")
        #expect(v[pointer: "/f"]?.idText == nil)
        #expect(v[pointer: "/u"]?.int64Value == nil, "never wrapped into a negative Int64")
    }
}

/// Who may post to the generic webhook: a secret, or an explicit `open: true`, never nothing.
@Suite struct WebhookHookAccessTests {
    static func settings(_ entries: [(String, String)], env: [String: String] = [:]) -> (WebhookSettings, [String]) {
        let diagnostics = ConfigDiagnostics(file: "hooks.yaml")
        var nodes: [(key: String, keyLine: Int, value: ConfigNode)] = entries.enumerated().map { index, entry in
            (key: entry.0, keyLine: index + 2, value: ConfigNode(.scalar(entry.1), line: index + 2))
        }
        nodes.append(
            (key: "outbound", keyLine: 20, value: ConfigNode(.map([("url", 20, ConfigNode(.scalar("http://127.0.0.1:9/send"), line: 20))]), line: 20))
        )
        let section = ConfigSection(ConfigNode(.map(nodes), line: 1), path: "adapters[0]", diagnostics: diagnostics, environment: { env[$0] })
        let settings = WebhookSettings(id: "chat", config: section)
        section.finish()
        return (settings, diagnostics.problems.map(\.description))
    }

    @Test func neitherSecretNorOpenIsReportedWithItsLine() {
        let (_, problems) = Self.settings([("identity", "email")])
        #expect(
            problems == [
                "hooks.yaml:1: adapters[0]: anyone could post customer messages to this hook: set 'secret_env' (the name of an environment variable holding a shared secret), or 'open: true' if something in front of the gateway checks the senders"
            ])
    }

    @Test func openTakesUnsignedPostsAndASecretRequiresTheSignature() async throws {
        let (open, openProblems) = Self.settings([("open", "true")])
        #expect(openProblems.isEmpty)
        #expect(open.access == .open)
        let unsigned = InboundRequest(method: "POST", path: "/hooks/chat", body: Array(#"{"id":"1","from":"a","text":"x"}"#.utf8))
        let accepted = try await WebhookAdapter(id: "chat", settings: open, transport: ClosureTransport { _ in HTTPResponse(status: 200) }).receive(
            unsigned)
        guard case .events(let events) = accepted else {
            Issue.record("refused")
            return
        }
        #expect(events.count == 1)

        let (signed, signedProblems) = Self.settings([("secret_env", "HOOK")], env: ["HOOK": "k"])
        #expect(signedProblems.isEmpty)
        await #expect(throws: InboundError.unauthorized("missing X-Switchboard-Signature header")) {
            try await WebhookAdapter(id: "chat", settings: signed, transport: ClosureTransport { _ in HTTPResponse(status: 200) }).receive(unsigned)
        }
        let (_, both) = Self.settings([("secret_env", "HOOK"), ("open", "true")], env: ["HOOK": "k"])
        #expect(both.contains { $0.hasPrefix("hooks.yaml:3: adapters[0].open: 'open: true' and 'secret_env' contradict each other") })
        let (_, unset) = Self.settings([("secret_env", "NOT_SET")])
        #expect(unset == ["hooks.yaml:2: adapters[0].secret_env: environment variable NOT_SET is not set"])
    }
}

/// Ids are compared as the exact text sent: never through a Double or a wrapped Int64.
@Suite struct ExactIDTests {
    func decode(_ json: String) async throws -> InboundMessage {
        let (settings, _) = WebhookHookAccessTests.settings([("open", "true")])
        let adapter = WebhookAdapter(id: "chat", settings: settings, transport: ClosureTransport { _ in HTTPResponse(status: 200) })
        let result = try await adapter.receive(InboundRequest(method: "POST", path: "/hooks/chat", body: Array(json.utf8)))
        guard case .events(let events) = result, case .message(let m)? = events.first else { throw InboundError.malformed("no message") }
        return m
    }

    @Test(arguments: [
        ("12345678901234567890", "12345678901234567891"),  // beyond Int64, inside UInt64
        ("99999999999999999998", "99999999999999999999"),  // beyond UInt64 (Foundation: a decimal)
        ("123456789012345678901234567890", "123456789012345678901234567891"),
        ("-9223372036854775809", "-9223372036854775810"),
    ])
    func twoDifferentLongNumberIdsStayTwo(a: String, b: String) async throws {
        let first = try await decode(#"{"id":\#(a),"from":\#(a),"text":"x"}"#)
        let second = try await decode(#"{"id":\#(b),"from":\#(b),"text":"x"}"#)
        #expect(first.externalID == a)
        #expect(second.externalID == b)
        #expect(first.from.address == a)
    }

    @Test(arguments: ["1.5", "1e3", "1234567890123456789012345678901234567890123"])
    func anIdThatCannotBeReadExactlyIsRefused(id: String) async throws {
        await #expect(throws: InboundError.malformed("'message_id' at JSON pointer /id must be a string or a whole number")) {
            _ = try await decode(#"{"id":\#(id),"from":"a","text":"x"}"#)
        }
    }

    @Test func aStringIdIsKeptAsItIs() async throws {
        #expect(try await decode(#"{"id":"007","from":"a","text":"x"}"#).externalID == "007")
        #expect(try await decode(#"{"id":7,"from":"a","text":"x"}"#).externalID == "7")
    }
}

/// Times a message could have been sent at, and nothing else.
@Suite struct PlausibleTimeTests {
    @Test(arguments: ["nan", "NaN", "inf", "-inf", "infinity", "1e300", "-5", "99999999999999999999", "9999-01-01T00:00:00Z"])
    func impossibleTimesAreNotParsed(text: String) {
        #expect(Timestamps.parse(text) == nil, "\(text)")
    }

    @Test func realTimesAre() {
        #expect(Timestamps.parse("1764064800") == Date(timeIntervalSince1970: 1_764_064_800))
        #expect(Timestamps.parse("1764064800123") == Date(timeIntervalSince1970: 1_764_064_800.123))
        #expect(Timestamps.parse("2025-11-25T10:00:00Z") == Date(timeIntervalSince1970: 1_764_064_800))
        #expect(Timestamps.parse("0") == Date(timeIntervalSince1970: 0))
    }

    @Test func thePipelineRuleCatchesWhatAnAdapterLetThrough() {
        let received = Date(timeIntervalSince1970: 1_764_064_800)
        func problem(_ at: Date) -> String? {
            InboundEvent.message(InboundMessage(externalID: "1", from: ChannelIdentity(channel: "c", address: "a"), text: "x", sentAt: at))
                .storageProblem(receivedAt: received)?.code
        }
        #expect(problem(Date(timeIntervalSince1970: .nan)) == "implausible_time")
        #expect(problem(Date(timeIntervalSince1970: .infinity)) == "implausible_time")
        #expect(problem(Date(timeIntervalSince1970: -1)) == "implausible_time")
        #expect(problem(received.addingTimeInterval(2 * 86400)) == "implausible_time")
        #expect(problem(received.addingTimeInterval(3600)) == nil, "a clock an hour ahead is tolerated")
        #expect(problem(Date(timeIntervalSince1970: 1_000_000_000)) == nil)
    }

    @Test func aNULAnywhereIsAProblemNamingTheField() {
        func problem(_ message: InboundMessage) -> InboundProblem? { InboundEvent.message(message).storageProblem(receivedAt: Date()) }
        let base = InboundMessage(externalID: "m1", from: ChannelIdentity(channel: "c", address: "a"), text: "x")
        var id = base
        id.externalID = "m1\u{0}dup"
        #expect(problem(id)?.code == "nul_character")
        #expect(problem(id)?.message.hasPrefix("the message id contains a NUL character") == true)
        var text = base
        text.text = "hello\u{0}world"
        #expect(problem(text)?.message.hasPrefix("the text of message 'm1' contains a NUL") == true)
        var meta = base
        meta.metadata = ["k": "v\u{0}"]
        #expect(problem(meta)?.code == "nul_character")
        var attachment = base
        attachment.attachments = [Attachment(kind: "image", fileName: "a\u{0}.png")]
        #expect(problem(attachment)?.code == "nul_character")
        #expect(problem(base) == nil)
        #expect(
            InboundEvent.deliveryStatus(DeliveryStatusUpdate(externalID: "w\u{0}", state: .read)).storageProblem(receivedAt: Date())?.code
                == "nul_character")
        #expect(InboundEvent.ignored(reason: .ownMessage).storageProblem(receivedAt: Date()) == nil)
    }
}
