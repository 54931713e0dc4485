import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import SwitchboardTransport
import Testing

/// Replies through the real libcurl transport to a real local HTTP server playing the Graph API.
@Suite struct MetaOutboundTests {
    typealias Route = MetaGraphServer.Route

    static let waOK = Route(
        status: 200,
        body: #"{"messaging_product":"whatsapp","contacts":[{"input":"972987654321","wa_id":"972987654321"}],"messages":[{"id":"wamid.OUT.{n}"}]}"#)
    static let waRateLimited = Route(
        status: 429,
        body:
            #"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"AzTrace1"}}"#,
        headers: ["Retry-After": "7"])
    static let waOutsideWindow = Route(
        status: 400,
        body:
            #"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AzTrace2"}}"#
    )
    static let waThrottledAs400 = Route(
        status: 400, body: #"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true}}"#)
    static let badGateway = Route(status: 502, body: "<html>bad gateway</html>")
    static let badToken = Route(
        status: 401,
        body: #"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}"#)
    static let pageOK = Route(status: 200, body: #"{"recipient_id":"2400000000000001","message_id":"m_OUT_{n}"}"#)
    static let pageOutsideWindow = Route(
        status: 400,
        body:
            #"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278}}"#
    )

    static let routes: [String: Route] = [
        "/v21.0/1111/messages": waOK,
        "/v21.0/2222/messages": waRateLimited,
        "/v21.0/3333/messages": waOutsideWindow,
        "/v21.0/4444/messages": waThrottledAs400,
        "/v21.0/5555/messages": badGateway,
        "/v21.0/6666/messages": badToken,
        "/v21.0/106000000000001/messages": pageOK,
        "/v21.0/17841400000000001/messages": pageOK,
        "/v21.0/999/messages": pageOutsideWindow,
    ]

    /// Runs `body` with a fresh fake Graph API and a real transport, both always shut down.
    func withGraph(_ body: (MetaGraphServer, CurlTransport) async throws -> Void) async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        try await MetaGraphServer.with(routes: Self.routes) { server in try await body(server, transport) }
    }

    func reply(
        to: String = "+972987654321", text: String = "Hola, ¿en qué te ayudo? 😊", inReplyTo: String? = "wamid.IN.1", quoted: Bool = true
    ) -> OutboundMessage {
        OutboundMessage(id: 41, conversationID: 7, to: to, text: text, inReplyTo: inReplyTo, quoted: quoted)
    }

    @Test(.integration) func whatsAppReplyIsTheExactCloudAPIRequest() async throws {
        try await withGraph { server, transport in
            let adapter = MetaTestKit.whatsApp(phoneNumberID: "1111", apiBase: server.baseURL + "/", transport: transport)
            let receipt = try await adapter.deliver(reply())
            #expect(receipt == DeliveryReceipt(externalID: "wamid.OUT.1", state: .sent))

            // The default answer (the customer's latest message, not picked by the agent) is not quoted.
            let noQuote = try await adapter.deliver(reply(quoted: false))
            #expect(noQuote.externalID == "wamid.OUT.2")

            let got = try await server.received(using: transport)
            #expect(got.count == 2)
            #expect(got[0].path == "/v21.0/1111/messages")
            #expect(got[0].headers["authorization"] == "Bearer \(MetaTestKit.accessToken)")
            #expect(got[0].headers["content-type"] == "application/json")
            #expect(
                got[0].json
                    == .object([
                        "messaging_product": .string("whatsapp"),
                        "recipient_type": .string("individual"),
                        "to": .string("972987654321"),
                        "type": .string("text"),
                        "text": .object(["body": .string("Hola, ¿en qué te ayudo? 😊")]),
                        "context": .object(["message_id": .string("wamid.IN.1")]),
                    ]))
            #expect(got[1].json?[pointer: "/context"] == nil, "no quote unless the agent picked the message")
            #expect(got[1].json?[pointer: "/to"] == .string("972987654321"))
        }
    }

    /// A customer known only by a business-scoped user id is answered by that id, in the Cloud
    /// API's `recipient` field instead of `to`; nothing else is taken for a phone number.
    @Test(.integration) func whatsAppReplyToAUserIDGoesToRecipient() async throws {
        try await withGraph { server, transport in
            let adapter = MetaTestKit.whatsApp(phoneNumberID: "1111", apiBase: server.baseURL, transport: transport)
            _ = try await adapter.deliver(reply(to: "US.13491208655302741918", quoted: false))
            let got = try await server.received(using: transport)
            #expect(
                got.first?.json
                    == .object([
                        "messaging_product": .string("whatsapp"),
                        "recipient_type": .string("individual"),
                        "recipient": .string("US.13491208655302741918"),
                        "type": .string("text"),
                        "text": .object(["body": .string("Hola, ¿en qué te ayudo? 😊")]),
                    ]))
            for bad in ["US.", "us.123", "hello", "+", "US.12 34"] {
                let failure = await #expect(throws: DeliveryFailure.self) { try await adapter.deliver(reply(to: bad)) }
                #expect(failure?.permanent == true, "\(bad)")
            }
            #expect(try await server.received(using: transport).count == 1, "nothing sent for an address of neither kind")
        }
    }

    @Test(.integration) func whatsAppFailuresAreClassified() async throws {
        try await withGraph { server, transport in
            func failure(_ node: String, template: String? = "order_update") async throws -> DeliveryFailure {
                let adapter = MetaTestKit.whatsApp(phoneNumberID: node, template: template, apiBase: server.baseURL, transport: transport)
                let error = await #expect(throws: DeliveryFailure.self) { try await adapter.deliver(reply()) }
                return try #require(error)
            }
            let limited = try await failure("2222")
            #expect(!limited.permanent)
            #expect(limited.retryAfter == .seconds(7))
            #expect(limited.reason.contains("130429"))

            let window = try await failure("3333")
            #expect(window.permanent)
            #expect(window.reason.contains("131047"))
            #expect(window.reason.contains("Re-engagement message"))
            #expect(window.reason.contains("more than 24 hours have passed"))
            #expect(window.reason.contains("send the approved template 'order_update' instead"))
            #expect(!window.reason.contains(MetaTestKit.accessToken))

            let throttled = try await failure("4444")
            #expect(!throttled.permanent, "Meta reports rate limits as HTTP 400 with a throttling code")

            let gateway = try await failure("5555")
            #expect(!gateway.permanent)
            #expect(gateway.reason.contains("502"))

            let token = try await failure("6666")
            #expect(token.permanent)
            #expect(token.reason.contains("Session has expired"))

            let unknownNumber = try await failure("7777")
            #expect(unknownNumber.permanent, "404 from the Graph API")
        }
    }

    @Test func unreachableGraphIsTransient() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let adapter = MetaTestKit.whatsApp(phoneNumberID: "1111", apiBase: "http://127.0.0.1:\(try metaUnusedPort())", transport: transport)
        let error = await #expect(throws: DeliveryFailure.self) { try await adapter.deliver(reply()) }
        #expect(error?.permanent == false)
    }

    @Test(.integration) func messengerAndInstagramRepliesAreTheExactSendAPIRequest() async throws {
        try await withGraph { server, transport in
            let messenger = MetaTestKit.page(.messenger, apiBase: server.baseURL, transport: transport)
            let receipt = try await messenger.deliver(reply(to: "2400000000000001", text: "Sorry to hear that!", inReplyTo: "m_ACCEPTANCE-msgr-0001"))
            #expect(receipt == DeliveryReceipt(externalID: "m_OUT_1", state: .sent))

            let instagram = MetaTestKit.page(.instagram, pageID: "17841400000000001", apiBase: server.baseURL, transport: transport)
            #expect(try await instagram.deliver(reply(to: "1230000000000001", text: "Yes we do!")).externalID == "m_OUT_2")

            let got = try await server.received(using: transport)
            #expect(got.map(\.path) == ["/v21.0/106000000000001/messages", "/v21.0/17841400000000001/messages"])
            #expect(got.allSatisfy { $0.headers["authorization"] == "Bearer \(MetaTestKit.accessToken)" })
            #expect(
                got[0].json
                    == .object([
                        "recipient": .object(["id": .string("2400000000000001")]),
                        "messaging_type": .string("RESPONSE"),
                        "message": .object(["text": .string("Sorry to hear that!")]),
                    ]))
            #expect(got[1].json?[pointer: "/recipient/id"] == .string("1230000000000001"))

            let closed = MetaTestKit.page(.messenger, pageID: "999", apiBase: server.baseURL, transport: transport)
            let error = await #expect(throws: DeliveryFailure.self) { try await closed.deliver(reply(to: "2400000000000001")) }
            #expect(error?.permanent == true)
            #expect(error?.reason.contains("outside of allowed window") == true)
        }
    }
}
