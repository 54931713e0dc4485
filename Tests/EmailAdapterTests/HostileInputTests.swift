import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Mail built to make the parser work hard (a 545 KB `References` once took 27 s of CPU and, two at
/// a time, stalled every channel): mail an MTA would deliver is kept, with the excess dropped. How
/// long it takes is measured against the real binary (e2e/test_email_attacks.py) and shown
/// here with SHOW_TIMINGS=1, never asserted in a unit test.
@Suite struct HostileInputTests {
    func timed<T>(_ work: () throws -> T, function: String = #function) rethrows -> T {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try work()
        if ProcessInfo.processInfo.environment["SHOW_TIMINGS"] != nil { print("\(function): \(clock.now - started)") }
        return result
    }

    func decode(_ text: String) throws -> InboundMessage {
        try EmailDecoder.decode(Array(text.utf8), ownAddress: "support@example.com")
    }

    static func ids(_ count: Int) -> [String] {
        (0..<count).map { "<ref-\($0)-\(String($0 * 7919, radix: 16))@mail\($0 % 97).example.org>" }
    }

    @Test func aOneMegabyteReferencesHeaderIsParsedQuicklyAndTheNewestIdsKept() throws {
        let ids = Self.ids(30_000)
        let references = ids.joined(separator: "\r\n ")
        #expect(references.utf8.count > 1_000_000)
        let mail =
            "From: Ann <ann@example.org>\r\nSubject: Re: order\r\nMessage-ID: <mine@example.org>\r\n"
            + "In-Reply-To: \(ids.last!)\r\nReferences: \(references)\r\nContent-Type: text/plain\r\n\r\nThanks, that helps.\r\n"
        let message = try timed { try decode(mail) }
        #expect(message.text == "Thanks, that helps.")
        #expect(message.references.count == MessageIDs.maxKept)
        // Nearest first, as the core reads them: the answered mail, then the newest references.
        #expect(message.references.prefix(3) == ids.suffix(3).reversed().map(MessageIDs.bare)[...])
        #expect(message.metadata["truncated_headers"] == "references")
        #expect((message.metadata["references"] ?? "").split(separator: " ").count <= MessageIDs.maxKept)
    }

    @Test func parsingIdListsIsLinearEvenWithoutTheHeaderLimit() {
        let value = Self.ids(30_000).joined(separator: " ")
        let ids = timed { MessageIDs.parseList([value], options: GMimeRuntime.makeParserOptions()) }
        #expect(ids.count == MessageIDs.maxKept)
        #expect(ids.first == "ref-0-0@mail0.example.org", "the thread's root is kept")
        #expect(ids.last == MessageIDs.bare(Self.ids(30_000).last!))
        let nearest = MessageIDs.nearestFirst(inReplyTo: ["a@x"], references: Self.ids(30_000).map(MessageIDs.bare))
        #expect(nearest.count == MessageIDs.maxKept && nearest.first == "a@x")
    }

    @Test func anOverlongFieldIsCutAndTheMailKept() throws {
        let subject = String(repeating: "spam ", count: 60_000)
        let recipients = (0..<30_000).map { "user\($0)@customer.example" }.joined(separator: ",\r\n ")
        let mail = "From: ann@example.org\r\nTo: \(recipients)\r\nSubject: \(subject)\r\n\r\nhello\r\n"
        let message = try timed { try decode(mail) }
        #expect(message.text == "hello")
        #expect(message.from.address == "ann@example.org")
        #expect((message.metadata["subject"] ?? "").utf8.count <= HeaderBlock.maxFieldBytes)
        #expect((message.metadata["to"] ?? "").hasPrefix("user0@customer.example, user1@customer.example"))
        #expect(message.metadata["truncated_headers"] == "to, subject")
    }

    @Test func manyFieldsAndManyAddressHeadersStayLinear() throws {
        let fields = (0..<40_000).map { "X-Filler-\($0 % 50): \($0)\r\n" }.joined()
        let ccs = (0..<3_000).map { "Cc: person\($0)@customer.example\r\n" }.joined()
        let mail = "From: ann@example.org\r\n\(fields)\(ccs)Subject: many\r\n\r\nhello\r\n"
        #expect(mail.utf8.count < HeaderBlock.maxBlockBytes)
        let message = try timed { try decode(mail) }
        #expect(message.text == "hello" && message.metadata["subject"] == "many")
    }

    @Test func aHeaderBlockBeyondWhatMailServersAcceptIsRefused() {
        let field = "X-Big: " + String(repeating: "x", count: 90_000) + "\r\n"
        let mail = "From: ann@example.org\r\n" + String(repeating: field, count: 15) + "\r\nhello\r\n"
        let result = timed { Result { () throws(InboundError) in try EmailDecoder.decode(Array(mail.utf8), ownAddress: "support@example.com") } }
        guard case .failure(let error) = result else {
            Issue.record("accepted a header block of \(mail.utf8.count) bytes")
            return
        }
        #expect(error.status == 400 && error.reason.contains("header block"))
    }

    @Test func cutFieldsNeverEndTheHeaderBlockOrSplitAnId() {
        let folded = "References: " + Self.ids(5_000).joined(separator: "\r\n\t") + "\r\n"
        let (name, cut) = HeaderBlock.shortened(Array(folded.utf8))
        #expect(name == "references")
        let text = String(decoding: cut, as: UTF8.self)
        #expect(cut.count <= HeaderBlock.maxFieldBytes)
        #expect(text.hasPrefix("References: <ref-") && text.hasSuffix(">\r\n"))
        #expect(!text.contains("\r\n\r\n"))
        let start = "Subject: " + String(repeating: "word ", count: 30_000) + "\r\n"
        let subject = String(decoding: HeaderBlock.shortened(Array(start.utf8)).field, as: UTF8.self)
        #expect(subject.hasSuffix("word\r\n"))
    }

    @Test func manyPartsAndDeepNestingAreBounded() throws {
        let parts = (0..<20_000).map {
            "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f\($0).bin\"\r\n\r\nx\r\n"
        }.joined()
        let mail =
            "From: ann@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" + parts + "--b--\r\n"
        let message = try timed { try decode(mail) }
        #expect(message.text == "see attached")
        #expect(message.attachments.count < MimeParser.maxParts)

        let nested = try timed { try decode(MailFixtures.nested(depth: MimeParser.maxNestedParts - 1)) }
        #expect(nested.text.isEmpty || nested.text == "deep inside")
    }

    @Test func quoteStrippingIsLinearOnHostileBodies() throws {
        let bodies = [
            "Hi\n\n" + String(repeating: "x", count: 3_000_000) + "\n",
            "Hi\n" + String(repeating: "> quoted line\n", count: 150_000),
            "Hi\n" + String(repeating: "On Monday Ann wrote:\n", count: 100_000),
            "Hi\n" + String(repeating: "From: a\nSent: b\nTo: c\n", count: 50_000),
            "Hi\n" + String(repeating: "> q\nanswer\n", count: 100_000),
            "Hi\n" + String(repeating: "\n", count: 500_000) + "On Monday Ann wrote:\n> old\n",
            "Hi\n" + String(repeating: "---------- Původní e-mail ----------\n\nok\n", count: 50_000),
            "Hi\n" + String(repeating: "> " + String(repeating: "a ", count: 40) + "\nand the rest of it\n", count: 50_000) + "Answer\n",
        ]
        for body in bodies {
            let split = timed { QuoteStripper.split(body) }
            #expect(!split.text.isEmpty)
        }
    }

    @Test func hostileTrustedFieldsAndReportsAreCheap() throws {
        let policy = SenderAuthentication(authservIDs: ["mx.example.com"])
        let results = (0..<10).map { _ in
            "Authentication-Results: mx.example.com; " + String(repeating: "dkim=pass header.d=x.example; ", count: 3_000) + "\r\n"
        }.joined()
        let message = try timed {
            try EmailDecoder.decode(
                Array(("From: ann@customer.example\r\n" + results + "\r\nhi\r\n").utf8), ownAddress: "support@example.com", authentication: policy)
        }
        #expect(message.noAutoReply != nil)
        let report =
            "From: MAILER-DAEMON@mx.example.net\r\nContent-Type: multipart/report; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAction: failed\r\n"
            + String(repeating: "<sb.1.2.", count: 200_000) + String(repeating: "<", count: 300_000) + "\r\n--b--\r\n"
        let events = try timed { try EmailDecoder.events(Array(report.utf8), ownAddress: "support@example.com", ownDomain: "example.com") }
        #expect(events.count == 1)
    }

    @Test func htmlThatNestsQuotesDeeplyStaysSmall() throws {
        let html = String(repeating: "<blockquote>", count: 50_000) + String(repeating: "line<br>", count: 50_000)
        let text = timed { HTMLText.plainText(fromHTML: html) }
        #expect(text.utf8.count < 10 * html.utf8.count, "the output grew to \(text.utf8.count) bytes")
        let hostile = [
            String(repeating: "<a href=\"http://x.example/\">", count: 50_000) + "text",
            String(repeating: "<!--", count: 100_000),
            String(repeating: "<p class=\"", count: 100_000),
            String(repeating: "&", count: 200_000) + String(repeating: "a", count: 200_000),
            String(repeating: "&amp", count: 200_000),
        ]
        for html in hostile {
            let text = timed { HTMLText.plainText(fromHTML: html) }
            // What hostile markup turns into is never larger than the markup itself.
            #expect(text.utf8.count <= html.utf8.count, "grew on \(html.prefix(30).debugDescription)")
        }
    }
}
