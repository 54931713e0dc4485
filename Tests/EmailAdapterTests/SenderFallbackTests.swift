import Foundation
import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// No mail is refused for its sender: the first usable address of From, Sender, Reply-To,
/// Return-Path and the envelope sender; with none, the adapter's unknown-sender placeholder.
@Suite struct SenderFallbackTests {
    func decode(_ text: String, envelope: MailEnvelope? = nil) throws -> InboundMessage {
        try EmailDecoder.decode(MailFixtures.bytes(text), ownAddress: "support@example.com", envelope: envelope, adapter: "support-mail")
    }

    @Test(arguments: [
        ("From: Ann <ann@example.org>\nSender: sec@example.org\n\nhi\n", "ann@example.org", nil as String?),
        ("From: foo\nSender: Office <office@example.org>\n\nhi\n", "office@example.org", "Sender"),
        ("From: foo\nReply-To: Bob <bob@example.org>\n\nhi\n", "bob@example.org", "Reply-To"),
        ("Return-Path: <bounce@lists.example.org>\nFrom: MAILER DAEMON <>\n\nhi\n", "bounce@lists.example.org", "Return-Path"),
        ("From: @example.org\nReply-To: x@\nSubject: no usable address\n\nhi\n", "unknown-sender@support-mail.invalid", "unknown"),
    ])
    func theFirstUsableAddressWins(text: String, address: String, field: String?) throws {
        let message = try decode(text)
        #expect(message.from == ChannelIdentity(channel: "email", address: address))
        #expect(message.metadata["sender_from"] == field)
    }

    @Test func theEnvelopeSenderIsKeptAndIsTheLastFallback() throws {
        let envelope = MailEnvelope(sender: "nagios@monitor.example.org", recipients: ["support@example.com"])
        let message = try decode("From: nagios\nSubject: DISK CRITICAL\n\ndisk full\n", envelope: envelope)
        #expect(message.from.address == "nagios@monitor.example.org")
        #expect(message.customerName == "nagios")
        #expect(message.metadata["sender_from"] == "envelope sender")
        #expect(message.metadata["from"] == "nagios")
        #expect(message.metadata["envelope_from"] == "nagios@monitor.example.org")
        #expect(message.metadata["envelope_to"] == "support@example.com")
        #expect(message.noAutoReply == nil)
        // A usable From is still who wrote; the envelope is only kept.
        let withFrom = try decode("From: ann@example.org\n\nhi\n", envelope: envelope)
        #expect(withFrom.from.address == "ann@example.org")
        #expect(withFrom.metadata["envelope_from"] == "nagios@monitor.example.org")
    }

    @Test func mailWithoutAnySenderIsFiledUnderThePlaceholderAndNeverAnswered() throws {
        let message = try decode("To: support@example.com\nSubject: who am I\n\nno sender here\n", envelope: MailEnvelope(sender: ""))
        #expect(message.from.address == "unknown-sender@support-mail.invalid")
        #expect(message.customerName == "Unknown sender (support-mail)")
        #expect(message.noAutoReply?.contains("no usable sender") == true)
        #expect(message.metadata["from"] == "(no From)")
        #expect(message.metadata["envelope_from"] == "<>")
        // MAIL FROM:<> is a bounce or an auto-reply (RFC 5321 §4.5.5): recorded, never acknowledged.
        #expect(message.kind == .automated)
        #expect(message.text == "no sender here")
    }

    @Test func repliesToThePlaceholderAreRefusedWithTheWayOut() {
        let adapter = EmailAdapter(
            id: "support-mail",
            settings: EmailSettings(address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"), access: .open),
            mail: nil, logger: Logger(label: "test"))
        let placeholder = ReplyContext(to: "unknown-sender@support-mail.invalid", threadRef: nil, inReplyTo: nil, text: "hi")
        #expect(!adapter.canReach(placeholder.to))
        #expect(adapter.refusal(for: placeholder)?.contains("/api/v1/customers/{id}/identities") == true)
        #expect(adapter.canReach("ann@example.org"))
        #expect(adapter.refusal(for: ReplyContext(to: "ann@example.org", threadRef: nil, inReplyTo: nil, text: "hi")) == nil)
    }

    @Test func theEnvelopeOfASignedPostCountsOnlyWhenSignedWithTheBody() async throws {
        let secret = "mail-hook-secret-0123456789abcdef"
        let adapter = EmailAdapter(
            id: "support-mail",
            settings: EmailSettings(address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"), access: .secret(secret)),
            mail: nil, logger: Logger(label: "test"))
        let body = Array("From: nagios\nSubject: x\n\nhi\n".utf8)
        let key = HMACKey(secret)
        let bodySignature = key.sha256Hex(body)
        func post(_ from: String, signature: String?) -> InboundRequest {
            var headers: [(name: String, value: String)] = [
                ("Content-Type", "message/rfc822"), ("X-Switchboard-Signature", "sha256=" + bodySignature),
                ("X-Switchboard-Envelope-From", from), ("X-Switchboard-Envelope-To", "support@example.com"),
            ]
            if let signature { headers.append(("X-Switchboard-Envelope-Signature", signature)) }
            return InboundRequest(method: "POST", path: "/hooks/support-mail", headers: headers, body: body)
        }
        let good = "sha256=" + key.sha256Hex(Array("nagios@monitor.example.org\nsupport@example.com\n\(bodySignature)".utf8))
        guard case .events(let events) = try await adapter.receive(post("nagios@monitor.example.org", signature: good)),
            case .message(let message) = events.first
        else {
            Issue.record("no message")
            return
        }
        #expect(message.from.address == "nagios@monitor.example.org")
        // Another sender under the same signature, or no signature: 401.
        for request in [post("evil@example.net", signature: good), post("nagios@monitor.example.org", signature: nil)] {
            await #expect(throws: InboundError.self) { _ = try await adapter.receive(request) }
        }
    }

    @Test func lmtpRecipientsAreTheAddressItsAliasesAndSubaddresses() {
        var settings = EmailSettings(address: "Support@Example.com", smtp: MailAccount(url: "smtp://127.0.0.1"), access: .open)
        settings.lmtp = LMTPEndpoint(listen: .inet(host: "127.0.0.1", port: 2424), recipients: ["help@example.com"])
        #expect(settings.isOwnMailbox("support@example.com"))
        #expect(settings.isOwnMailbox("SUPPORT+billing@example.com"))
        #expect(settings.isOwnMailbox("help@example.com"))
        #expect(!settings.isOwnMailbox("sales@example.com"))
        #expect(!settings.isOwnMailbox("support@example.com.evil.test"))
    }
}
