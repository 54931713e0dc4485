import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import ExternalAdapter

/// Decoding the process's lines and encoding the gateway's, without a process.
@Suite struct ProtocolTests {
    func decode(_ json: String) throws -> AdapterMessage {
        try AdapterMessage.decode(Array(json.utf8), identity: "chan")
    }

    @Test func refusesWhatBreaksTheProtocol() {
        #expect(throws: ProtocolViolation.self) { try decode("not json") }
        #expect(throws: ProtocolViolation.self) { try decode(#"["type"]"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"no": "type"}"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type": "inbound", "from": "a"}"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type": "inbound", "id": "1"}"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type": "inbound", "id": "1", "from": "a", "sent_at": "yesterday"}"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type": "status", "external_id": "1", "state": "lost"}"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type": "delivered"}"#) }
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type": "hello", "capabilities": {"reply_window": "soon"}}"#) }
    }

    @Test func unknownTypesAreSkippedNotRefused() throws {
        guard case .unknown("metrics") = try decode(#"{"type": "metrics"}"#) else {
            Issue.record("expected .unknown")
            return
        }
    }

    @Test func helloCapabilities() throws {
        guard
            case .hello(let caps) = try decode(
                #"{"type":"hello","capabilities":{"reply_window":null,"max_text":4000,"rate_per_second":1.5,"can_initiate":false}}"#)
        else {
            Issue.record("expected hello")
            return
        }
        #expect(caps == AdapterCapabilities(maxTextLength: 4000, ratePerSecond: 1.5, canInitiate: false))
    }

    @Test func inboundWithNumericIDAndEpochTime() throws {
        guard
            case .inbound(let m) = try decode(
                #"{"type":"inbound","id":12345678901234567,"from":"U1","text":"hi","sent_at":1719209506.817929,"metadata":{"team":"T1","n":2}}"#)
        else {
            Issue.record("expected inbound")
            return
        }
        #expect(m.externalID == "12345678901234567")
        #expect(m.from == ChannelIdentity(channel: "chan", address: "U1"))
        #expect(abs((m.sentAt?.timeIntervalSince1970 ?? 0) - 1_719_209_506.817929) < 0.001)
        #expect(m.metadata == ["team": "T1", "n": "2"])
    }

    @Test func inboundAsTheSDKWritesIt() throws {
        guard
            case .inbound(let m) = try decode(
                #"{"type":"inbound","id":"C1:1719209506.817929","from":"U1","sent_at":"2024-06-24T06:11:46.817Z","attachments":[{"kind":"document","size":12,"details":{"pages":3}}]}"#
            )
        else {
            Issue.record("expected inbound")
            return
        }
        #expect(abs((m.sentAt?.timeIntervalSince1970 ?? 0) - 1_719_209_506.817) < 0.001)
        #expect(m.text == "")
        #expect(m.attachments == [Attachment(kind: "document", size: 12, details: ["pages": "3"])])
    }

    @Test func programsAreFoundInThePathOrTheDirectory() throws {
        let inPath = ExternalSettings(command: ["sh", "-c", "true"], environment: ["PATH": "/nowhere:/bin:/usr/bin"], identityChannel: "x")
        #expect(try ChildProcess.resolve(inPath).hasSuffix("/sh"))
        let relative = ExternalSettings(command: ["bin/adapter"], directory: "/srv/sb", identityChannel: "x")
        #expect(try ChildProcess.resolve(relative) == "/srv/sb/bin/adapter")
        #expect(throws: LaunchError.self) {
            try ChildProcess.resolve(ExternalSettings(command: ["nope-\(UUID())"], environment: ["PATH": "/bin"], identityChannel: "x"))
        }
    }

    @Test func deliverLineIsOneLineWithEveryField() throws {
        let line = GatewayMessage.deliver(OutboundMessage(id: 9, conversationID: 3, to: "U1", threadRef: "C1:1.2", text: "a\nb", attempt: 2)).line
        #expect(!line.contains(UInt8(ascii: "\n")))
        let json = try JSONValue.parse(line)
        #expect(
            json
                == .object([
                    "type": .string("deliver"), "id": .integer(9), "conversation": .integer(3), "to": .string("U1"),
                    "text": .string("a\nb"), "in_reply_to": .null, "thread": .string("C1:1.2"), "attempt": .integer(2),
                ]))
    }

    @Test func filesTravelBase64WhenTheHelloAllowsThem() throws {
        let file = OutboundAttachment(index: 0, kind: "document", fileName: "a b.pdf", mimeType: "application/pdf", content: Data([0, 1, 255]))
        let message = OutboundMessage(id: 9, conversationID: 3, to: "U1", text: "", attachments: [file])
        let json = try JSONValue.parse(GatewayMessage.deliver(message).line)
        #expect(
            json["attachments"]
                == .array([
                    .object([
                        "file_name": .string("a b.pdf"), "mime_type": .string("application/pdf"), "kind": .string("document"),
                        "size": .integer(3), "content_base64": .string("AAH/"),
                    ])
                ]))

        guard case .hello(let caps) = try decode(#"{"type":"hello","capabilities":{"reply_files":{"max_files":3,"max_bytes":99999999}}}"#)
        else {
            Issue.record("not a hello")
            return
        }
        #expect(caps.attachments?.maxFiles == 3)
        #expect(caps.attachments?.kinds.map(\.maxBytes) == [10_000_000, 10_000_000, 10_000_000, 10_000_000], "at most 10 MB in a line")
        guard case .hello(let text) = try decode(#"{"type":"hello","capabilities":{}}"#) else { return }
        #expect(text.attachments == nil, "text only unless declared")
        #expect(throws: ProtocolViolation.self) { try decode(#"{"type":"hello","capabilities":{"reply_files":{"max_files":0}}}"#) }
    }

    @Test func requestLineCarriesTheExactBody() throws {
        let body: [UInt8] = [0x7b, 0x00, 0xff, 0x0a]
        let request = InboundRequest(
            method: "POST", path: "/hooks/x", query: ["a": "1"], rawQuery: "a=1",
            headers: [("X-Slack-Signature", "v0=1"), ("Accept", "a"), ("accept", "b")], body: body)
        let json = try JSONValue.parse(GatewayMessage.request(id: 4, request).line)
        #expect(json["headers"] == .object(["x-slack-signature": .string("v0=1"), "accept": .string("a, b")]))
        #expect(json["body_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) } == Data(body))
        #expect(json["raw_query"] == .string("a=1"))
    }

    @Test func responsesMapToResults() throws {
        func result(_ json: String) throws -> InboundResult {
            try HookResponse.result(JSONValue.parse(Array(json.utf8)), identity: "chan")
        }
        guard case .respond(200, "application/json", let body) = try result(#"{"type":"response","id":1,"body":{"challenge":"c"}}"#) else {
            Issue.record("expected a JSON answer")
            return
        }
        #expect(try JSONValue.parse(body) == .object(["challenge": .string("c")]))
        guard case .events(let none) = try result(#"{"type":"response","id":1,"status":200,"inbound":[]}"#), none.isEmpty else {
            Issue.record("expected no events")
            return
        }
        #expect(throws: InboundError.malformed("missing field x")) {
            try result(#"{"id":1,"status":400,"body":{"error":{"message":"missing field x"}}}"#)
        }
        #expect(throws: InboundError.forbidden("wrong token")) { try result(#"{"id":1,"status":403,"body":"wrong token"}"#) }
        guard case .respond(502, _, _) = try result(#"{"id":1,"status":200,"inbound":[{"id":"1"}]}"#) else {
            Issue.record("an invalid inbound message should be a 502")
            return
        }
        guard case .respond(404, "application/octet-stream", let raw) = try result(#"{"id":1,"status":404,"body_base64":"AAE="}"#) else {
            Issue.record("expected the process's own 404")
            return
        }
        #expect(raw == [0, 1])

        // What the process did not pass on is said, with a reason code (anything else is counted
        // under one code: it becomes a metrics label).
        guard
            case .events(let ignored) = try result(
                #"{"id":1,"status":200,"inbound":[{"type":"ignored","reason":"bot_message"},{"type":"ignored","reason":"Not A Code!"},{"type":"ignored"},{"id":"m1","from":"u","text":"x"}]}"#
            )
        else {
            Issue.record("expected events")
            return
        }
        #expect(ignored.count == 4)
        #expect(
            ignored.prefix(3).map { if case .ignored(let r) = $0 { r.code } else { "" } } == ["bot_message", "adapter_ignored", "adapter_ignored"])
        // Ids are exact text: a fraction is no id.
        guard case .respond(502, _, _) = try result(#"{"id":1,"status":200,"inbound":[{"id":1.5,"from":"u","text":"x"}]}"#) else {
            Issue.record("a fractional id should be refused")
            return
        }
    }
}
