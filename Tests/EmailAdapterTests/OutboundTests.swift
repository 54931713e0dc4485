import Foundation
import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

@Suite struct OutboundTests {
    let transport = FakeMailTransport()

    func adapter(html: Bool = false) -> EmailAdapter {
        EmailAdapter(
            id: "mail",
            settings: EmailSettings(
                address: "support@example.com", displayName: "Exämple Support", smtp: MailAccount(url: "smtp://127.0.0.1:2525"),
                htmlReplies: html, access: .open),
            mail: transport, logger: Logger(label: "test"), now: { Date(timeIntervalSince1970: 1_704_186_000) })
    }

    func reply(
        id: Int64 = 7, subject: String? = "Drucker kaputt – bitte helfen", purpose: OutboundMessage.Purpose = .reply, tag: String = "k3Jq9ZtW"
    ) -> OutboundMessage {
        var metadata = ["message_id": "ann-2@example.org", "references": "root@example.org ann-1@example.org"]
        metadata["subject"] = subject
        return OutboundMessage(
            id: id, conversationID: 42, to: "ann@example.org", text: "Grüße,\nwir kümmern uns darum.", inReplyTo: "ann-2@example.org",
            customerName: "Ann Müller", inReplyToMetadata: metadata, purpose: purpose, tag: tag)
    }

    /// The composed bytes parsed back with the same GMime-based decoder.
    func sentBack(_ index: Int = 0) throws -> (raw: String, message: InboundMessage) {
        let sent = transport.state.withLock { $0.sent[index] }
        let message = try EmailDecoder.decode(Array(sent.data), ownAddress: "someone-else@example.net")
        return (String(decoding: sent.data, as: UTF8.self), message)
    }

    @Test func replyThreadsAndEncodes() async throws {
        let receipt = try await adapter().deliver(reply())
        #expect(receipt == DeliveryReceipt(externalID: "sb.42.7.k3Jq9ZtW@example.com", state: .sent))
        let (raw, parsed) = try sentBack()
        #expect(parsed.metadata["subject"] == "Re: Drucker kaputt – bitte helfen [SB-000042]")
        #expect(parsed.externalID == "sb.42.7.k3Jq9ZtW@example.com")
        #expect(parsed.metadata["in_reply_to"] == "ann-2@example.org")
        #expect(parsed.metadata["references"] == "root@example.org ann-1@example.org ann-2@example.org")
        #expect(parsed.from.address == "support@example.com")
        #expect(parsed.customerName == "Exämple Support")
        #expect(parsed.metadata["to"] == "Ann Müller <ann@example.org>")
        #expect(parsed.text == "Grüße,\nwir kümmern uns darum.")
        #expect(parsed.sentAt == Date(timeIntervalSince1970: 1_704_186_000))
        // Everything on the wire is 7-bit: non-ASCII only inside encoded words and quoted-printable.
        #expect(raw.utf8.allSatisfy { $0 < 128 })
        let subjectLine = raw.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") } ?? ""
        #expect(subjectLine.lowercased().hasPrefix("subject: re: drucker kaputt =?utf-8?"))
        if ProcessInfo.processInfo.environment["SHOW_REPLY"] != nil { print(raw) }
        #expect(raw.lowercased().contains("content-transfer-encoding: quoted-printable"))
        #expect(raw.lowercased().contains("charset=utf-8"))
        #expect(raw.contains("MIME-Version: 1.0"))
        #expect(raw.contains("\r\n") && !raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!raw.contains("Auto-Submitted"))
        #expect(transport.state.withLock { $0.sent[0].recipients } == ["ann@example.org"])
        #expect(transport.state.withLock { $0.sent[0].from } == "support@example.com")
    }

    @Test func messageIDIsTheSameOnEveryRetry() async throws {
        _ = try await adapter().deliver(reply(id: 9))
        _ = try await adapter().deliver(reply(id: 9))
        #expect(try sentBack(0).message.externalID == sentBack(1).message.externalID)
        _ = try await adapter().deliver(reply(id: 10, tag: "Zq81"))
        #expect(try sentBack(2).message.externalID == "sb.42.10.Zq81@example.com")
    }

    @Test(arguments: [
        ("Re: Printer", "Re: Printer [SB-000042]"),
        ("AW: Drucker", "AW: Drucker [SB-000042]"),
        ("Printer [SB-000042]", "Re: Printer [SB-000042]"),
        ("RE: Printer [sb-000042]", "RE: Printer [sb-000042]"),
        ("Fwd: Printer", "Re: Fwd: Printer [SB-000042]"),
    ])
    func subjectDoesNotStack(answered: String, expected: String) {
        #expect(ReplyThreading.subject(answered: answered, reference: "SB-000042") == expected)
    }

    @Test func noAnsweredSubject() async throws {
        _ = try await adapter().deliver(reply(subject: nil))
        #expect(try sentBack().message.metadata["subject"] == "Your request [SB-000042]")
    }

    @Test func acknowledgementIsMarkedAutomatic() async throws {
        _ = try await adapter().deliver(reply(purpose: .acknowledgement))
        let (raw, parsed) = try sentBack()
        #expect(raw.contains("Auto-Submitted: auto-replied"))
        // So a second Switchboard receiving it would not acknowledge it either.
        #expect(parsed.kind == .automated)
    }

    @Test func htmlAlternativeWhenConfigured() async throws {
        _ = try await adapter(html: true).deliver(reply())
        let (raw, parsed) = try sentBack()
        #expect(raw.contains("multipart/alternative"))
        #expect(raw.contains("text/html"))
        #expect(parsed.text == "Grüße,\nwir kümmern uns darum.")
    }

    @Test func transportFailuresKeepTheirPermanence() async throws {
        transport.state.withLock { $0.sendFailure = MailTransportError("550 no such user", permanent: true) }
        await #expect {
            try await adapter().deliver(reply())
        } throws: { error in
            (error as? DeliveryFailure)?.permanent == true && "\(error)".contains("550")
        }
        transport.state.withLock { $0.sendFailure = MailTransportError("connection refused", permanent: false) }
        await #expect {
            try await adapter().deliver(reply())
        } throws: { error in
            (error as? DeliveryFailure)?.permanent == false
        }
    }

    @Test func notAnAddressIsAPermanentFailure() async throws {
        var message = reply()
        message.to = "+15550100"
        await #expect {
            try await adapter().deliver(message)
        } throws: { error in
            (error as? DeliveryFailure)?.permanent == true
        }
    }
}
