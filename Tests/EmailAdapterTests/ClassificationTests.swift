import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

@Suite struct ClassificationTests {
    func decode(_ text: String) throws -> InboundMessage {
        try EmailDecoder.decode(MailFixtures.bytes(text), ownAddress: "support@example.com")
    }

    @Test func autoSubmittedIsAutomated() throws {
        let message = try decode(MailFixtures.autoReply)
        #expect(message.kind == .automated)
        #expect(message.metadata["automated"] == "Auto-Submitted: auto-replied")
    }

    @Test func bounceReportIsAutomated() throws {
        let message = try decode(MailFixtures.bounce)
        #expect(message.kind == .automated)
        #expect(message.text == "Your message could not be delivered.")
        #expect(message.attachments.map(\.mimeType) == ["message/delivery-status"])
    }

    @Test(arguments: [
        "Precedence: bulk\n", "Auto-Submitted: auto-generated\n", "X-Autoreply: yes\n", "X-Autorespond: on\n",
        "Return-Path: <>\n",
    ])
    func machineHeadersMakeItAutomated(header: String) throws {
        #expect(try decode(MailFixtures.reply("Away", headers: header)).kind == .automated)
    }

    @Test(arguments: ["", "Auto-Submitted: no\n", "X-Auto-Response-Suppress: All\n", "Precedence: normal\n"])
    func personalMailIsAContact(header: String) throws {
        #expect(try decode(MailFixtures.reply("Thanks", headers: header)).kind == .contact)
    }

    @Test func ourOwnMailComingBackIsAutomated() throws {
        let message = try decode("From: Example Support <Support@Example.com>\nSubject: Re: x\nMessage-ID: <sb.1.2@example.com>\n\nhello\n")
        #expect(message.kind == .automated)
    }

    @Test func replyToIsKeptButNotTheIdentity() throws {
        let message = try decode(MailFixtures.reply("Hi", headers: "Reply-To: Other <other@example.net>\n"))
        #expect(message.from.address == "ann@example.org")
        #expect(message.metadata["reply_to"] == "Other <other@example.net>")
    }
}
