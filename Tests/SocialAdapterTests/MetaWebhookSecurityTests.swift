import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

/// Signature vectors from the corpus and Meta's verification handshake, on all three adapters.
@Suite struct MetaWebhookSecurityTests {
    struct Vector {
        var file: String
        var secret: String
        var signature: String
        var wrongSignature: String?
    }

    static func vectors() throws -> [Vector] {
        let document = try MetaTestKit.json("signatures/test_vectors.json")
        guard case .array(let items)? = document[pointer: "/meta"] else { throw MetaTestFailure("no 'meta' vectors") }
        return items.compactMap { item in
            guard let file = item[pointer: "/file"]?.text, let secret = item[pointer: "/app_secret"]?.text,
                let signature = item[pointer: "/X-Hub-Signature-256"]?.text
            else { return nil }
            return Vector(
                file: file, secret: secret, signature: signature, wrongSignature: item[pointer: "/signature_if_you_wrongly_reserialize_as_utf8"]?.text
            )
        }
    }

    func adapter(for file: String, secret: String) -> any ChannelAdapter {
        if file.contains("/whatsapp/") { return MetaTestKit.whatsApp(appSecret: secret) }
        if file.contains("/instagram/") { return MetaTestKit.page(.instagram, pageID: "17841400000000001", appSecret: secret) }
        return MetaTestKit.page(.messenger, appSecret: secret)
    }

    func request(_ body: [UInt8], signature: String?) -> InboundRequest {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let signature { headers.append(("x-hub-signature-256", signature)) }  // any header case
        return InboundRequest(method: "POST", path: "/hooks/meta", headers: headers, body: body)
    }

    @Test func corpusVectorsVerifyAndTamperedBodiesAreRefused() async throws {
        let vectors = try Self.vectors()
        #expect(vectors.count >= 4)
        for vector in vectors {
            let body = try Corpus.file(vector.file)
            #expect(MetaSignature.sign(body, secret: vector.secret) == vector.signature, "\(vector.file)")
            let adapter = adapter(for: vector.file, secret: vector.secret)
            guard case .events(let events) = try await adapter.receive(request(body, signature: vector.signature)) else {
                Issue.record("\(vector.file): no events")
                continue
            }
            #expect(!events.isEmpty, "\(vector.file)")

            var tampered = body
            tampered[tampered.count / 2] ^= 0x01
            await #expect(throws: InboundError.unauthorized("X-Hub-Signature-256 does not match the body")) {
                try await adapter.receive(request(tampered, signature: vector.signature))
            }
            if let wrong = vector.wrongSignature {
                // The pitfall: a signature over re-serialised UTF-8 is not Meta's.
                await #expect(throws: InboundError.self) { try await adapter.receive(request(body, signature: wrong)) }
            }
            let missing = await #expect(throws: InboundError.self) { try await adapter.receive(request(body, signature: nil)) }
            #expect(missing?.status == 401)
            let other = await #expect(throws: InboundError.self) {
                try await adapter.receive(request(body, signature: MetaSignature.sign(body, secret: "another secret")))
            }
            #expect(other?.status == 401)
            await #expect(throws: InboundError.self) {
                try await adapter.receive(request(body, signature: "sha1=" + String(vector.signature.dropFirst(7))))
            }
        }
    }

    @Test func signatureIsCheckedBeforeTheBodyIsParsed() async throws {
        // A body that is not even JSON is 401 without a good signature, not 400.
        let adapter = MetaTestKit.whatsApp()
        let refused = await #expect(throws: InboundError.self) { try await adapter.receive(request(Array("{oops".utf8), signature: "sha256=00")) }
        #expect(refused?.status == 401)
    }

    /// `GET /webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token`.
    static func handshake() throws -> (query: [String: String], raw: String, challenge: String) {
        let document = try MetaTestKit.json("signatures/test_vectors.json")
        let line = try #require(document[pointer: "/meta_verification_handshake/request"]?.text)
        let challenge = try #require(document[pointer: "/meta_verification_handshake/expected_response/body"]?.text)
        let target = line.split(separator: " ")[1]
        let raw = String(target.split(separator: "?", maxSplits: 1)[1])
        var query: [String: String] = [:]
        for pair in raw.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            query[parts[0]] = parts.count > 1 ? parts[1].removingPercentEncoding : ""
        }
        return (query, raw, challenge)
    }

    @Test func handshakeAnswersExactlyTheChallengeAndRefusesWrongTokens() async throws {
        let (query, raw, challenge) = try Self.handshake()
        let token = try #require(query["hub.verify_token"])
        let adapters: [any ChannelAdapter] = [
            MetaTestKit.whatsApp(verifyToken: token),
            MetaTestKit.page(.messenger, verifyToken: token),
            MetaTestKit.page(.instagram, pageID: "17841400000000001", verifyToken: token),
        ]
        for adapter in adapters {
            let result = try await adapter.receive(InboundRequest(method: "GET", path: "/hooks/meta", query: query, rawQuery: raw))
            guard case .respond(let status, let contentType, let body) = result else {
                Issue.record("no direct answer")
                continue
            }
            #expect(status == 200)
            #expect(contentType == "text/plain")
            #expect(body == Array(challenge.utf8))

            var wrong = query
            wrong["hub.verify_token"] = token + "x"
            let refused = await #expect(throws: InboundError.self) {
                try await adapter.receive(InboundRequest(method: "GET", path: "/hooks/meta", query: wrong))
            }
            #expect(refused?.status == 403)
            var noToken = query
            noToken["hub.verify_token"] = nil
            let missing = await #expect(throws: InboundError.self) {
                try await adapter.receive(InboundRequest(method: "GET", path: "/hooks/meta", query: noToken))
            }
            #expect(missing?.status == 403)
            let plainGet = await #expect(throws: InboundError.self) {
                try await adapter.receive(InboundRequest(method: "GET", path: "/hooks/meta"))
            }
            #expect(plainGet?.status == 400)
        }
    }

    @Test func otherMethodsAreNotAllowed() async throws {
        let refused = await #expect(throws: InboundError.self) {
            try await MetaTestKit.whatsApp().receive(InboundRequest(method: "PUT", path: "/hooks/meta"))
        }
        #expect(refused?.status == 405)
    }
}
