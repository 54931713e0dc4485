import ExternalAdapter
import Foundation
import SwitchboardAdapterAPI
import Testing

/// `/hooks/{id}` requests forwarded to the process as `request` lines, answered by `response`.
@Suite struct HookForwardingTests {
    func post(_ body: String, signature: String = "ok") -> InboundRequest {
        InboundRequest(
            method: "POST", path: "/hooks/ext", headers: [("X-Sig", signature), ("Content-Type", "application/json")], body: Array(body.utf8))
    }

    @Test func inboundInAResponseIsReturnedForStoring() async throws {
        let h = try Harness()
        #expect(await h.ready())
        let result = try await h.adapter.receive(post(#"{"id": "e1", "from": "bob", "text": "hi there"}"#))
        guard case .events(let events) = result, events.count == 2,
            case .message(let message) = events[0], case .deliveryStatus(let status) = events[1]
        else {
            Issue.record("expected a message and a status report, got \(result)")
            return
        }
        #expect(message.externalID == "e1")
        #expect(message.from == ChannelIdentity(channel: "fake", address: "bob"))
        #expect(message.text == "hi there")
        #expect(status.externalID == "x-9" && status.state == .delivered)
        await h.stop()
    }

    @Test func refusalsBecomeTheGatewaysErrors() async throws {
        let h = try Harness()
        #expect(await h.ready())
        await #expect(throws: InboundError.unauthorized("bad signature")) {
            _ = try await h.adapter.receive(post("{}", signature: "forged"))
        }
        await h.stop()
    }

    @Test func handshakesAreAnsweredAsWritten() async throws {
        let h = try Harness()
        #expect(await h.ready())
        let request = InboundRequest(method: "GET", path: "/hooks/ext", query: ["challenge": "c-123"], headers: [("x-sig", "ok")])
        guard case .respond(let status, let contentType, let body) = try await h.adapter.receive(request) else {
            Issue.record("expected a direct answer")
            return
        }
        #expect(status == 200 && contentType == "text/plain" && body == Array("c-123".utf8))
        await h.stop()
    }

    @Test func noAnswerInTimeIs503() async throws {
        let h = try Harness(requestTimeout: .milliseconds(300))
        #expect(await h.ready())
        let result = try await h.adapter.receive(post("slow"))
        guard case .respond(let status, _, let body) = result else {
            Issue.record("expected 503")
            return
        }
        #expect(status == 503)
        #expect(String(decoding: body, as: UTF8.self).contains("adapter_unavailable"))
        await h.stop()
    }

    @Test func withoutAProcessHooksAnswer503() async throws {
        let adapter = ExternalAdapter(
            id: "idle", settings: ExternalSettings(command: ["true"], identityChannel: "idle"), logger: LogRecords().logger(adapter: "idle"))
        guard case .respond(let status, let contentType, _) = try await adapter.receive(post("{}")) else {
            Issue.record("expected 503")
            return
        }
        #expect(status == 503 && contentType == "application/json")
    }
}
