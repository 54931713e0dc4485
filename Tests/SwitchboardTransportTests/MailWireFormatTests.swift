import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import SwitchboardTransport

/// The byte-level pieces of the mail transport, without a server.
@Suite("Mail transport: wire format")
struct MailWireFormatTests {
    @Test("SMTP DATA: bare LF and bare CR become CRLF, CRLF stays, a final CRLF is added")
    func lineEnds() {
        let cases: [(String, String)] = [
            ("a\nb\n", "a\r\nb\r\n"),
            ("a\r\nb", "a\r\nb\r\n"),
            ("a\rb\r", "a\r\nb\r\n"),
            ("a\r\r\nb\n\n", "a\r\n\r\nb\r\n\r\n"),
            ("", "\r\n"),
        ]
        for (input, output) in cases {
            #expect(SMTPEnvelope.wireFormat(Data(input.utf8)) == Array(output.utf8), "\(input.debugDescription)")
        }
        #expect(SMTPEnvelope.wireFormat(Data([0xFF, 0x00, 0x0A])) == [0xFF, 0x00, 0x0D, 0x0A])
    }

    @Test("IMAP responses: literals are set aside byte for byte, even split across reads")
    func literals() throws {
        let body = Array("Subject: x\r\n\r\n* 2 FETCH (UID 9 BODY[] {3}\r\nS1 OK fake\r\n".utf8)
        let stream = Array("* 1 FETCH (UID 7 BODY[] {\(body.count)}\r\n".utf8) + body + Array(")\r\nS2 OK done\r\n".utf8)
        for chunk in [1, 7, stream.count] {
            var reader = IMAPResponseReader()
            var responses: [IMAPResponseLine] = []
            var index = 0
            while index < stream.count {
                reader.append(stream[index..<min(index + chunk, stream.count)])
                index += chunk
                while let response = try reader.next() { responses.append(response) }
            }
            #expect(responses.count == 2)
            #expect(responses.first?.literals == [body])
            #expect(responses.last?.isTagged("S2") == true)
            #expect(IMAPResponseParser.fetchedBody(responses, uid: 7) == body)
            #expect(IMAPResponseParser.fetchedBody(responses, uid: 9) == nil)
        }
    }

    @Test("IMAP FETCH: a quoted body, an empty literal, a non-synchronizing literal marker")
    func fetchShapes() throws {
        var reader = IMAPResponseReader()
        reader.append(
            Array("* 3 FETCH (BODY[] \"a \\\"q\\\" b\" UID 5)\r\n* 4 FETCH (UID 6 BODY[] {0}\r\n)\r\n* 5 FETCH (UID 8 BODY[] {2+}\r\nhi)\r\n".utf8))
        var responses: [IMAPResponseLine] = []
        while let response = try reader.next() { responses.append(response) }
        #expect(IMAPResponseParser.fetchedBody(responses, uid: 5) == Array("a \"q\" b".utf8))
        #expect(IMAPResponseParser.fetchedBody(responses, uid: 6) == [])
        #expect(IMAPResponseParser.fetchedBody(responses, uid: 8) == Array("hi".utf8))
    }

    @Test("IMAP SEARCH: UIDs from every SEARCH response, nothing else")
    func search() throws {
        var reader = IMAPResponseReader()
        reader.append(Array("* 3 EXISTS\r\n* SEARCH 4 17 9\r\n* search 21 (MODSEQ 5)\r\n* SEARCH\r\n".utf8))
        var responses: [IMAPResponseLine] = []
        while let response = try reader.next() { responses.append(response) }
        #expect(IMAPResponseParser.searchResults(responses) == [4, 17, 9, 21])
    }

    @Test("IMAP: an absurd literal is refused instead of buffered")
    func hugeLiteral() {
        var reader = IMAPResponseReader()
        reader.append(Array("* 1 FETCH (BODY[] {99999999999}\r\n".utf8))
        #expect(throws: MailTransportError.self) { try reader.next() }
    }

    @Test("mailbox names come from the URL path, quoted; INBOX by default")
    func mailboxes() throws {
        #expect(try MailURL.quotedMailbox("imap://h/INBOX") == "\"INBOX\"")
        #expect(try MailURL.quotedMailbox("imaps://h:993") == "\"INBOX\"")
        #expect(try MailURL.quotedMailbox("imap://h/Support%20Queue;UIDVALIDITY=5") == "\"Support Queue\"")
        #expect(try MailURL.quotedMailbox("imap://h/a%22b") == "\"a\\\"b\"")
        #expect(throws: MailTransportError.self) { try MailURL.quotedMailbox("imap://h/Entw%C3%BCrfe") }
    }
}
