import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

@Suite struct ParsingTests {
    func decode(_ text: String) throws -> InboundMessage {
        try EmailDecoder.decode(MailFixtures.bytes(text), ownAddress: "support@example.com")
    }

    @Test func alternativePrefersPlainText() throws {
        let message = try decode(MailFixtures.alternative)
        #expect(message.text == "My printer is broken.")
        #expect(message.externalID == "alt-1@example.org")
        #expect(message.from == ChannelIdentity(channel: "email", address: "ann@example.org"))
        #expect(message.customerName == "Ann Customer")
        #expect(message.metadata["subject"] == "Printer broken")
        #expect(message.metadata["to"] == "support@example.com")
        #expect(message.sentAt == Date(timeIntervalSince1970: 1_704_186_000))
        #expect(message.kind == .contact)
        #expect(message.attachments.isEmpty)
    }

    @Test func nestedMixedAndRelatedKeepTextAndEveryFile() throws {
        let message = try decode(MailFixtures.nestedMixedRelated)
        #expect(message.text == "See the photo and the invoice.")
        let files = message.attachments.map { "\($0.kind) \($0.mimeType ?? "") \($0.fileName ?? "-") \($0.size ?? -1)" }
        #expect(files == ["image image/png photo.png 10", "document application/pdf invoice.pdf 10"])
        #expect(message.attachments[0].details?["content_id"] == "photo1")
    }

    @Test func quotedPrintableLatin1AndEncodedWords() throws {
        let message = try decode(MailFixtures.quotedPrintableLatin1)
        #expect(message.text == "Schöne Grüße, ein sehr langer Satz der umbrochen werden muss, damit die Zeile nicht zu lang wird.")
        #expect(message.metadata["subject"] == "Grüße aus Köln")
        #expect(message.customerName == "Jörg Müller")
        #expect(message.from.address == "joerg.mueller@example.de")
    }

    @Test func base64Windows1252() throws {
        let message = try decode(MailFixtures.base64Windows1252)
        #expect(message.text == "Preis: 20 € – „gut“, Grüße")
        #expect(message.metadata["subject"] == "Ärger mit der Lieferung")
    }

    @Test func htmlOnlyBecomesReadableText() throws {
        let message = try decode(MailFixtures.htmlOnly)
        #expect(
            message.text == """
                Hello & welcome, friend – café

                - first
                - second

                See our help page (https://example.org/help).
                Line one
                Line two
                """)
        #expect(!message.text.contains("alert"))
        #expect(!message.text.contains("Ignored title"))
    }

    @Test func attachmentsKeepNameTypeAndDecodedSize() throws {
        let message = try decode(MailFixtures.attachments)
        #expect(message.text == "Two files attached.")
        #expect(message.attachments.map(\.fileName) == ["Quäder.jpg", "Prüfung.xlsx"])
        #expect(message.attachments.map(\.kind) == ["image", "document"])
        #expect(message.attachments.map(\.size) == [10, 6])
        #expect(message.attachments[1].mimeType == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    }

    @Test func threadingHeadersNearestFirst() throws {
        let message = try decode(MailFixtures.reply("Thanks"))
        #expect(message.references == ["sb.42.7.k3Jq9ZtW@example.com", "root@example.org"])
        #expect(message.metadata["in_reply_to"] == "sb.42.7.k3Jq9ZtW@example.com")
        #expect(message.metadata["references"] == "root@example.org sb.42.7.k3Jq9ZtW@example.com")
    }

    @Test func missingMessageIDGetsAStableHash() throws {
        let text = "From: ann@example.org\nSubject: no id\n\nhello\n"
        let first = try decode(text)
        let second = try decode(text)
        #expect(first.externalID.hasPrefix("sha256:"))
        #expect(first.externalID == second.externalID)
        #expect(first.externalID.count == 7 + 64)
    }

    @Test func mboxFromLineAndCRLFAreAccepted() throws {
        let text = "From ann@example.org Mon Jan  1 00:00:00 2024\r\nFrom: ann@example.org\r\nSubject: crlf\r\n\r\nbody\r\n"
        let message = try decode(text)
        #expect(message.text == "body")
        #expect(message.metadata["subject"] == "crlf")
    }

    @Test(arguments: [
        ("empty", [UInt8]()),
        ("json", Array(#"{"from": "ann@example.org", "text": "hi"}"#.utf8)),
        ("binary", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }),
        ("html page", Array("<!DOCTYPE html><html><body>hi</body></html>".utf8)),
    ])
    func garbageIsRejectedWith400(name: String, bytes: [UInt8]) {
        #expect {
            try EmailDecoder.decode(bytes, ownAddress: "support@example.com")
        } throws: { error in
            guard let error = error as? InboundError else { return false }
            return error.status == 400 && !error.reason.isEmpty
        }
    }

    @Test func deepNestingIsRefusedAndReasonableNestingParsed() throws {
        #expect(throws: InboundError.self) { try decode(MailFixtures.nested(depth: 5_000)) }
        #expect(try decode(MailFixtures.nested(depth: 30)).text == "deep inside")
    }

    @Test func hugeSinglePartIsParsedQuickly() throws {
        let body = String(repeating: "All work and no play makes Jack a dull boy. ", count: 50_000)
        let clock = ContinuousClock()
        let started = clock.now
        let message = try decode("From: ann@example.org\nSubject: big\n\n" + body)
        #expect(message.text.count > 2_000_000)
        #expect(clock.now - started < .seconds(10))
    }
}
