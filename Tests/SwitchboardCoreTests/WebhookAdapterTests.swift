import Foundation
import Logging
import Synchronization
import SwitchboardAdapterAPI
import Testing
import WebhookAdapter

@Suite struct WebhookAdapterTests {
    static let yaml = ConfigNode(.map([
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
        guard case .events(let events) = result else { Issue.record("no events"); return }
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
        (#"{"id":"1","sender":{"address":"a"},"text":"x","ts":"yesterday"}"#, "'sent_at' at JSON pointer /ts is not ISO 8601 or epoch seconds: yesterday"),
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
        let (a, _) = adapter(transport: ClosureTransport { request in
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
        #expect(body == .object(["id": .integer(9), "conversation": .integer(3), "to": .string("a@x"), "text": .string("hello"), "in_reply_to": .string("ext-1")]))
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
}
