import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardStoreTestSupport
import Synchronization
import Testing

@testable import SwitchboardCore

/// Webhook deliveries on the memory engine: signed, in order per conversation, retried, held back
/// by the circuit, dead-lettered and replayed.
@Suite struct WebhookDispatcherTests {
    /// An endpoint inside the test: it records what it receives and answers with the status it is told.
    final class Endpoint: Sendable {
        private let state = Mutex<(status: Int, received: [HTTPRequest])>((200, []))
        func answer(_ status: Int) { state.withLock { $0.status = status } }
        var received: [HTTPRequest] { state.withLock { $0.received } }
        var transport: ClosureTransport {
            ClosureTransport { request in
                let status = self.state.withLock { s -> Int in
                    s.received.append(request)
                    return s.status
                }
                if status == 0 { throw TransportError("connection refused") }
                return HTTPResponse(status: status)
            }
        }
    }

    static let secret = "whsec-test-0123456789abcdef"

    static func endpoint(_ id: String, maxAttempts: Int = 5) -> WebhookEndpoint {
        WebhookEndpoint(
            id: id, url: "http://127.0.0.1:1/\(id)", secret: secret, events: ["*"], maxAttempts: maxAttempts, firstRetry: .seconds(1),
            maxBackoff: .seconds(4), breakerFailures: 2, breakerCooldown: .seconds(30), concurrency: 4)
    }

    static func events(_ store: MemoryStore, consumer: String, at: Date) async throws {
        var list: [QueuedEvent] = []
        for n in 1...3 {
            for conversation in [Int64(10), 20] {
                list.append(
                    QueuedEvent(
                        consumer: consumer, conversationID: conversation, type: "message.created",
                        payload: "{\"conversation\":\(conversation),\"n\":\(n)}", cause: nil, createdAt: at))
            }
        }
        try await store.enqueue(list)
    }

    /// `(conversation, n)` of each post, in the order received.
    static func sequence(_ requests: [HTTPRequest]) throws -> [(Int64, Int)] {
        try requests.map { request in
            let body = try JSONValue.parse(request.body)
            guard case .object(let envelope) = body, case .object(let data)? = envelope["data"],
                case .integer(let conversation)? = data["conversation"], case .integer(let n)? = data["n"]
            else { throw UnexpectedOutcome("unexpected body \(String(decoding: request.body, as: UTF8.self))") }
            return (conversation, Int(n))
        }
    }

    @Test func postsAreSignedEnvelopedAndInOrderPerConversation() async throws {
        let store = MemoryStore()
        let clock = TestClock(Plans.now)
        let crm = Endpoint()
        let dispatcher = WebhookDispatcher(
            endpoints: [Self.endpoint("crm")], store: store, transport: crm.transport, now: { clock.now }, logger: Logger(label: "test"))
        try await Self.events(store, consumer: "webhook:crm", at: clock.now)
        while try await dispatcher.drainOnce(Self.endpoint("crm")) > 0 {}
        let posted = try Self.sequence(crm.received)
        #expect(posted.filter { $0.0 == 10 }.map(\.1) == [1, 2, 3])
        #expect(posted.filter { $0.0 == 20 }.map(\.1) == [1, 2, 3])
        for request in crm.received {
            let signature = request.headers.first { $0.name == WebhookSignature.header }?.value
            #expect(WebhookSignature.verify(header: signature, body: request.body, secret: HMACKey(Self.secret), now: clock.now))
            // A recorded post replayed later is refused, and so is a changed body.
            #expect(
                !WebhookSignature.verify(header: signature, body: request.body, secret: HMACKey(Self.secret), now: clock.now.addingTimeInterval(600)))
            #expect(!WebhookSignature.verify(header: signature, body: request.body + [0x20], secret: HMACKey(Self.secret), now: clock.now))
            #expect(request.headers.contains { $0.name == "X-Switchboard-Event" && $0.value == "message.created" })
        }
        let envelope = try JSONValue.parse(crm.received[0].body)
        guard case .object(let fields) = envelope else { throw UnexpectedOutcome("not an object") }
        #expect(Set(fields.keys) == ["id", "type", "conversation", "created_at", "data"])
        #expect(try await store.queuedEvents(consumer: "webhook:crm", state: .delivered, before: nil, limit: 10).count == 6)
    }

    @Test func aDeadEndpointIsHeldBackByItsCircuitAndGetsEverythingInOrderWhenItRecovers() async throws {
        let store = MemoryStore()
        let clock = TestClock(Plans.now)
        let down = Endpoint()
        down.answer(0)
        let healthy = Endpoint()
        let transport = ClosureTransport { request in
            try await (request.url.hasSuffix("/down") ? down.transport : healthy.transport).send(request)
        }
        let dispatcher = WebhookDispatcher(
            endpoints: [Self.endpoint("down"), Self.endpoint("ok")], store: store, transport: transport, now: { clock.now },
            logger: Logger(label: "test"))
        try await Self.events(store, consumer: "webhook:down", at: clock.now)
        try await Self.events(store, consumer: "webhook:ok", at: clock.now)

        // Two failures open the circuit: nothing more is attempted (no attempts used up) until the cooldown.
        #expect(try await dispatcher.drainOnce(Self.endpoint("down")) == 2)
        #expect(dispatcher.circuits()["down"] == .open)
        clock.advance(5)
        #expect(try await dispatcher.drainOnce(Self.endpoint("down")) == 0)
        // Its loop sleeps until the circuit half-opens (at most a second at a time), although events
        // are due: no polling of the queue meanwhile.
        #expect(await dispatcher.pause(Self.endpoint("down")) == .seconds(1))
        // The other endpoint is not held back.
        while try await dispatcher.drainOnce(Self.endpoint("ok")) > 0 {}
        #expect(healthy.received.count == 6)

        // After the cooldown one attempt probes; still down: open again, for longer.
        clock.advance(30)
        #expect(dispatcher.circuits()["down"] == .halfOpen)
        #expect(try await dispatcher.drainOnce(Self.endpoint("down")) == 1)
        #expect(dispatcher.circuits()["down"] == .open)

        down.answer(200)
        clock.advance(61)
        while try await dispatcher.drainOnce(Self.endpoint("down")) > 0 { clock.advance(5) }
        #expect(dispatcher.circuits()["down"] == .closed)
        let delivered = try Self.sequence(down.received.filter { _ in true }).suffix(6)
        #expect(delivered.filter { $0.0 == 10 }.map(\.1) == [1, 2, 3])
        #expect(delivered.filter { $0.0 == 20 }.map(\.1) == [1, 2, 3])
        #expect(try await store.queuedEvents(consumer: "webhook:down", state: .failed, before: nil, limit: 10).isEmpty)
    }

    @Test func aRefusedOrHopelessEventIsADeadLetterThatCanBeReplayed() async throws {
        let store = MemoryStore()
        let clock = TestClock(Plans.now)
        let crm = Endpoint()
        crm.answer(422)
        let endpoint = Self.endpoint("crm", maxAttempts: 2)
        let dispatcher = WebhookDispatcher(
            endpoints: [endpoint], store: store, transport: crm.transport, now: { clock.now }, logger: Logger(label: "test"))
        let integrations = Integrations(endpoints: [endpoint], store: store, dispatcher: dispatcher, now: { clock.now })
        try await store.enqueue([
            QueuedEvent(consumer: "webhook:crm", conversationID: 1, type: "sla.breached", payload: "{}", cause: nil, createdAt: clock.now)
        ])
        #expect(try await dispatcher.drainOnce(endpoint) == 1)
        var failed = try await integrations.deliveries(of: "crm", state: .failed, before: nil, limit: 10, by: Viewer(Staff.marta))
        #expect(failed.map(\.lastError) == ["HTTP 422: refused by the endpoint"])
        #expect(dispatcher.circuits()["crm"] == .closed, "a refusal is an answer: the endpoint is up")

        crm.answer(503)
        #expect(try await integrations.replay("crm", deliveries: nil, by: Viewer(Staff.marta)) == 1)
        #expect(try await dispatcher.drainOnce(endpoint) == 1)
        clock.advance(2)
        #expect(try await dispatcher.drainOnce(endpoint) == 1)
        failed = try await integrations.deliveries(of: "crm", state: .failed, before: nil, limit: 10, by: Viewer(Staff.marta))
        #expect(failed.map(\.lastError) == ["HTTP 503 after 2 attempts"])

        crm.answer(200)
        #expect(try await integrations.replay("crm", deliveries: [failed[0].id], by: Viewer(Staff.marta)) == 1)
        clock.advance(60)
        #expect(try await dispatcher.drainOnce(endpoint) == 1)
        #expect(try await integrations.deliveries(of: "crm", state: .delivered, before: nil, limit: 10, by: Viewer(Staff.marta)).count == 1)
        #expect(
            await refused { try await integrations.deliveries(of: "crm", state: nil, before: nil, limit: 10, by: Viewer(Staff.ana)) }?.status == 403)
        #expect(await refused { try await integrations.replay("nope", deliveries: nil, by: Viewer(Staff.marta)) }?.status == 404)
    }
}
