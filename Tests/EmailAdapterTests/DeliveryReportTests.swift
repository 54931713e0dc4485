import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Bounces of our replies mark them failed; other reports are only recorded.
@Suite struct DeliveryReportTests {
    func dsn(action: String, messageID: String) -> [UInt8] {
        MailFixtures.bytes("""
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
        let events = try EmailDecoder.events(dsn(action: "failed", messageID: "sb.12.34@example.com"), ownAddress: "support@example.com", ownDomain: "example.com")
        #expect(events.count == 2)
        guard case .message(let message) = events[0], case .deliveryStatus(let status) = events[1] else {
            Issue.record("expected the bounce and a delivery report, got \(events)")
            return
        }
        #expect(message.kind == .automated)
        #expect(message.references.contains("sb.12.34@example.com"))
        #expect(status.externalID == "sb.12.34@example.com" && status.state == .failed)
        #expect(status.error?.contains("550 5.1.1") == true)
    }

    @Test func delayReportsAndOtherSendersMailAreOnlyRecorded() throws {
        let delayed = try EmailDecoder.events(dsn(action: "delayed", messageID: "sb.12.34@example.com"), ownAddress: "support@example.com", ownDomain: "example.com")
        #expect(delayed.count == 1)
        let foreign = try EmailDecoder.events(dsn(action: "failed", messageID: "sb.12.34@elsewhere.example"), ownAddress: "support@example.com", ownDomain: "example.com")
        #expect(foreign.count == 1)
    }
}
