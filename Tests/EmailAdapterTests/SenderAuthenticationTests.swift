import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Acknowledgements wait for the MTA's verdict: only its own `Authentication-Results` count.
@Suite struct SenderAuthenticationTests {
    let policy = SenderAuthentication(authservIDs: ["mx.example.com"], required: true)

    func mail(from: String = "Ann <ann@customer.example>", results: [String]) -> [UInt8] {
        let fields = results.map { "Authentication-Results: \($0)\r\n" }.joined()
        return Array(
            ("\(fields)Received: from mail.customer.example by mx.example.com; Tue, 2 Jan 2024 10:00:00 +0100\r\n"
                + "From: \(from)\r\nTo: support@example.com\r\nSubject: My order\r\nMessage-ID: <m-\(UUID().uuidString)@customer.example>\r\n\r\nWhere is it?\r\n")
                .utf8)
    }

    func decode(_ raw: [UInt8], _ policy: SenderAuthentication? = nil) throws -> InboundMessage {
        try EmailDecoder.decode(raw, ownAddress: "support@example.com", authentication: policy ?? self.policy)
    }

    @Test(arguments: [
        "mx.example.com; dmarc=pass (p=reject dis=none) header.from=customer.example",
        "mx.example.com; dkim=pass (2048-bit key; unprotected) header.d=customer.example header.s=s1 header.b=abc",
        "mx.example.com; dkim=pass header.d=mail.customer.example",
        "mx.example.com; spf=pass (sender SPF authorized) smtp.mailfrom=bounces@customer.example",
        "MX.Example.COM 1; spf=pass smtp.mailfrom=\"bounces@customer.example\"; dkim=none",
        "mx.example.com;\r\n\tdkim=fail header.d=customer.example;\r\n\tspf = pass smtp.mailfrom = customer.example",
    ])
    func aPassFromTheTrustedServerVerifiesTheSender(results: String) throws {
        let message = try decode(mail(results: [results]))
        #expect(message.noAutoReply == nil)
        #expect(message.metadata["authentication"]?.hasPrefix("verified by mx.example.com") == true, "\(message.metadata)")
    }

    @Test(arguments: [
        // No verdict at all, or only from someone else: anyone can write these.
        [String](),
        ["mx.attacker.example; dmarc=pass header.from=customer.example; dkim=pass header.d=customer.example"],
        ["mx.example.com.attacker.example; dmarc=pass"],
        // The trusted server saw failures, or passes for another domain.
        ["mx.example.com; dmarc=fail (p=none) header.from=customer.example; spf=softfail smtp.mailfrom=customer.example"],
        ["mx.example.com; dkim=pass header.d=attacker.example; spf=pass smtp.mailfrom=attacker.example"],
        ["mx.example.com; dmarc=pass header.from=attacker.example"],
        ["mx.example.com; dkim=pass header.d=example"],
        ["mx.example.com; none"],
        ["mx.example.com; spf=pass smtp.helo=customer.example"],
    ])
    func withoutATrustedPassNoAutomaticAnswerGoesOut(results: [String]) throws {
        let message = try decode(mail(results: results))
        let reason = try #require(message.noAutoReply)
        #expect(reason.contains("not verified"))
        #expect(message.metadata["authentication"]?.hasPrefix("not verified") == true)
        #expect(message.kind == .contact, "still the customer's message: only the answer is held back")
        #expect(message.text == "Where is it?")
    }

    @Test func aForgedPassBelowTheServersFailIsIgnored() throws {
        let message = try decode(
            mail(results: [
                "mx.example.com; dmarc=fail header.from=customer.example",
                "mx.evil.example; dmarc=pass header.from=customer.example",
            ]))
        #expect(message.noAutoReply != nil)
        #expect(message.metadata["authentication"]?.contains("dmarc=fail") == true)
    }

    @Test func notRequiredRecordsTheVerdictOnly() throws {
        let relaxed = SenderAuthentication(authservIDs: ["mx.example.com", "mx2.example.com"], required: false)
        let message = try decode(mail(results: ["mx2.example.com; spf=fail smtp.mailfrom=customer.example"]), relaxed)
        #expect(message.noAutoReply == nil)
        #expect(message.metadata["authentication"]?.contains("spf=fail") == true)
        #expect(try EmailDecoder.decode(mail(results: []), ownAddress: "support@example.com").metadata["authentication"] == nil)
    }

    @Test func resultsAreParsedAsRFC8601WritesThem() throws {
        let parsed = try #require(
            AuthenticationResults(
                "mx.example.com 1 (comment; with semicolon); dkim/1=pass reason=\"good; key\" header.d=Customer.Example (signer);"
                    + " spf=PASS smtp.mailfrom=ann@customer.example"))
        #expect(parsed.authservID == "mx.example.com")
        #expect(parsed.results.map(\.method) == ["dkim", "spf"])
        #expect(parsed.results.map(\.result) == ["pass", "pass"])
        #expect(parsed.results[0].properties["header.d"] == "Customer.Example")
        #expect(parsed.results[0].properties["reason"] == "good; key")
        #expect(parsed.results[1].properties["smtp.mailfrom"] == "ann@customer.example")
        #expect(AuthenticationResults("   ") == nil)
        #expect(SenderAuthentication.aligned("mail.customer.example", "customer.example"))
        #expect(!SenderAuthentication.aligned("customer.example.attacker.example", "customer.example"))
        #expect(!SenderAuthentication.aligned("notcustomer.example", "customer.example"))
    }

    @Test func configuration() {
        func read(_ pairs: [(String, ConfigNode.Value)]) -> (SenderAuthentication?, [String]) {
            let smtp = ConfigNode(.map([(key: "url", keyLine: 3, value: ConfigNode(.scalar("smtp://mail.example.com"), line: 3))]), line: 3)
            let section = ConfigNode(
                .map(pairs.enumerated().map { (key: $0.element.0, keyLine: 10 + $0.offset, value: ConfigNode($0.element.1, line: 10 + $0.offset)) }),
                line: 9)
            let all: [(String, ConfigNode.Value)] = [
                ("address", .scalar("support@example.com")), ("smtp", smtp.value), ("open", .scalar("true")), ("authentication", section.value),
            ]
            let node = ConfigNode(
                .map(all.enumerated().map { (key: $0.element.0, keyLine: $0.offset + 1, value: ConfigNode($0.element.1, line: $0.offset + 1)) }),
                line: 1)
            let diagnostics = ConfigDiagnostics(file: "switchboard.yaml")
            let config = ConfigSection(node, path: "adapters[0]", diagnostics: diagnostics, environment: { _ in nil })
            let settings = EmailSettings(config: config)
            config.finish()
            return (settings.authentication, diagnostics.problems.map(\.message))
        }
        let (one, none) = read([("authserv_id", .scalar("MX.example.com"))])
        #expect(none.isEmpty && one == SenderAuthentication(authservIDs: ["mx.example.com"], required: true))
        let list = ConfigNode(.list([ConfigNode(.scalar("mx1.example.com"), line: 11), ConfigNode(.scalar("mx2.example.com"), line: 12)]), line: 10)
        let (two, _) = read([("authserv_id", list.value), ("require", .scalar("false"))])
        #expect(two == SenderAuthentication(authservIDs: ["mx1.example.com", "mx2.example.com"], required: false))
        #expect(read([("require", .scalar("true"))]).1.contains { $0.contains("missing required key 'authserv_id'") })
        #expect(read([("authserv_id", .scalar("mx.example.com; dmarc=pass"))]).1.contains { $0.contains("is not an authserv-id") })
        #expect(
            read([("authserv_id", .scalar("mx.example.com")), ("requires", .scalar("true"))]).1.contains { $0.contains("unknown key 'requires'") })
    }
}
