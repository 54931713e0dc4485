import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Bounces of our replies mark them failed; other reports are only recorded.
@Suite struct DeliveryReportTests {
    func dsn(action: String, messageID: String) -> [UInt8] {
        MailFixtures.bytes(
            """
            From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
            To: support@example.com
            Subject: Undelivered Mail Returned to Sender
            Message-ID: <bounce-1@mx.example.net>
            Auto-Submitted: auto-replied
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            I'm sorry to have to inform you that your message could not be delivered.

            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.net

            Final-Recipient: rfc822; nobody@customer.example
            Action: \(action)
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.example>: Recipient address rejected

            --B
            Content-Type: text/rfc822-headers

            From: Example Support <support@example.com>
            To: nobody@customer.example
            Subject: Re: my order [SB-000012]
            Message-ID: <\(messageID)>

            --B--
            """)
    }

    @Test func aBounceOfOurReplyMarksItFailedAndJoinsItsThread() throws {
        let events = try EmailDecoder.events(
            dsn(action: "failed", messageID: "sb.12.34.Wq7rT2@example.com"), ownAddress: "support@example.com", ownDomain: "example.com")
        #expect(events.count == 2)
        guard case .message(let message) = events[0], case .deliveryStatus(let status) = events[1] else {
            Issue.record("expected the bounce and a delivery report, got \(events)")
            return
        }
        #expect(message.kind == .automated)
        #expect(message.references.contains("sb.12.34.Wq7rT2@example.com"))
        #expect(status.externalID == "sb.12.34.Wq7rT2@example.com" && status.state == .failed)
        #expect(status.error?.contains("550 5.1.1") == true)
    }

    @Test func delayReportsAndOtherSendersMailAreOnlyRecorded() throws {
        let delayed = try EmailDecoder.events(
            dsn(action: "delayed", messageID: "sb.12.34.Wq7rT2@example.com"), ownAddress: "support@example.com", ownDomain: "example.com")
        #expect(delayed.count == 1)
        let foreign = try EmailDecoder.events(
            dsn(action: "failed", messageID: "sb.12.34.Wq7rT2@elsewhere.example"), ownAddress: "support@example.com", ownDomain: "example.com")
        #expect(foreign.count == 1)
    }

    func events(_ raw: [UInt8]) throws -> [InboundEvent] {
        try EmailDecoder.events(raw, ownAddress: "support@example.com", ownDomain: "example.com")
    }

    /// Our old ids were `sb.<conversation>.<message>@domain`: a stranger who guesses one must not
    /// fail that reply (the core matches only the exact tagged id it stored), nor thread into it.
    @Test(arguments: ["sb.12.34@example.com", "sb.12.34.@example.com", "sb..34.x@example.com"])
    func aBounceNamingAGuessedIdReportsNothing(guessed: String) throws {
        let events = try events(dsn(action: "failed", messageID: guessed))
        #expect(events.count == 1, "a guessed id failed a reply: \(events)")
        guard case .message(let message) = events[0] else { return }
        #expect(!message.references.contains(guessed))
    }

    @Test func aForgedAutoReplyNamingAGuessedIdThreadsNowhere() throws {
        let raw = MailFixtures.bytes(
            """
            From: stranger@attacker.example
            Subject: Automatic reply: Re: your order [SB-000012]
            Auto-Submitted: auto-replied
            Message-ID: <ooo-1@attacker.example>
            In-Reply-To: <sb.12.34@example.com>
            References: <sb.12.33@example.com> <sb.12.34@example.com>

            Pay the new invoice at http://attacker.example/pay
            """)
        let message = try EmailDecoder.decode(raw, ownAddress: "support@example.com")
        #expect(message.references.isEmpty)
        #expect(message.kind == .automated)
        // The header as it was is still shown to whoever reads the stranger's message.
        #expect(message.metadata["in_reply_to"] == "sb.12.34@example.com")
    }

    @Test func theReturnedMessageIDWinsOverItsReferences() throws {
        var text = String(decoding: dsn(action: "failed", messageID: "sb.12.40.Tag40@example.com"), as: UTF8.self)
        text = text.replacingOccurrences(
            of: "Message-ID: <sb.12.40.Tag40@example.com>",
            with: "References: <root@customer.example> <sb.12.34.Tag34@example.com>\nMessage-ID: <sb.12.40.Tag40@example.com>")
        let events = try events(Array(text.utf8))
        guard events.count == 2, case .deliveryStatus(let status) = events[1] else {
            Issue.record("no delivery report: \(events)")
            return
        }
        #expect(status.externalID == "sb.12.40.Tag40@example.com")
    }

    @Test func ownIdShapes() {
        #expect(OwnMessageIDs.shape(of: "sb.1.2.AbC-9_z@Example.COM", domain: "example.com") == .tagged)
        #expect(OwnMessageIDs.shape(of: "sb.1.2@example.com", domain: "example.com") == .untagged)
        #expect(OwnMessageIDs.shape(of: "sb.1.2.x@example.net", domain: "example.com") == nil)
        #expect(OwnMessageIDs.shape(of: "xsb.1.2.x@example.com", domain: "example.com") == nil)
        #expect(OwnMessageIDs.shape(of: "sb.1..x@example.com", domain: "example.com") == nil)
        #expect(OwnMessageIDs.make(conversationID: 3, messageID: 9, tag: "a1B2", domain: "example.com") == "sb.3.9.a1B2@example.com")
        // Only characters a Message-ID can carry unquoted make it into the id.
        #expect(OwnMessageIDs.make(conversationID: 3, messageID: 9, tag: "a/b+c=.d>e", domain: "example.com") == "sb.3.9.abcde@example.com")
    }
}
