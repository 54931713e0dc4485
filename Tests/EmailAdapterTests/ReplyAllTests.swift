import Foundation
import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Reply-all: the customer's colleagues in To/Cc are recorded and copied on replies.
@Suite struct ReplyAllTests {
    let transport = FakeMailTransport()

    var adapter: EmailAdapter {
        EmailAdapter(
            id: "mail",
            settings: EmailSettings(address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1:2525"), access: .open),
            mail: transport, logger: Logger(label: "test"))
    }

    static let mail = """
        From: Ann <ann@customer.example>
        To: Support <support@example.com>, Bob <bob@customer.example>
        Cc: carol@customer.example, support+orders@example.com, ANN@customer.example, Bob <bob@customer.example>
        Subject: Our order
        Message-ID: <team-1@customer.example>

        Where is it?
        """

    @Test func theOtherParticipantsAreRecordedButNotUsOrTheAuthor() throws {
        let message = try EmailDecoder.decode(Array(Self.mail.utf8), ownAddress: "support@example.com")
        #expect(message.from.address == "ann@customer.example")
        #expect(message.metadata["participants"] == "bob@customer.example, carol@customer.example")
    }

    @Test func automatedMailRecordsNoParticipants() throws {
        let bounce = "Auto-Submitted: auto-replied\n" + Self.mail
        let message = try EmailDecoder.decode(Array(bounce.utf8), ownAddress: "support@example.com")
        #expect(message.metadata["participants"] == nil)
    }

    func reply(purpose: OutboundMessage.Purpose, to: String = "ann@customer.example") throws -> OutboundMessage {
        let answered = try EmailDecoder.decode(Array(Self.mail.utf8), ownAddress: "support@example.com")
        return OutboundMessage(
            id: 9, conversationID: 4, to: to, text: "On its way.", inReplyTo: answered.externalID,
            inReplyToMetadata: answered.metadata, purpose: purpose, tag: "t")
    }

    @Test func aReplyCopiesTheOtherParticipants() async throws {
        _ = try await adapter.deliver(try reply(purpose: .reply))
        let sent = transport.state.withLock { $0.sent[0] }
        #expect(sent.recipients == ["ann@customer.example", "bob@customer.example", "carol@customer.example"])
        let raw = String(decoding: sent.data, as: UTF8.self)
        #expect(raw.contains("Cc: bob@customer.example, carol@customer.example"))
    }

    @Test func aReplyToAParticipantCopiesTheCustomerInstead() async throws {
        // Sent to bob (an agent linked him): the author of the answered mail is a participant too.
        var message = try reply(purpose: .reply, to: "bob@customer.example")
        message.inReplyToMetadata["participants"] = "ann@customer.example, bob@customer.example, carol@customer.example"
        _ = try await adapter.deliver(message)
        #expect(transport.state.withLock { $0.sent[0].recipients } == ["bob@customer.example", "ann@customer.example", "carol@customer.example"])
    }

    @Test func anAcknowledgementGoesToTheWriterOnly() async throws {
        _ = try await adapter.deliver(try reply(purpose: .acknowledgement))
        let sent = transport.state.withLock { $0.sent[0] }
        #expect(sent.recipients == ["ann@customer.example"])
        #expect(!String(decoding: sent.data, as: UTF8.self).contains("Cc:"))
    }
}
