import Foundation
import Testing

@testable import EmailAdapter

@Suite struct QuoteStrippingTests {
    @Test func byteSearchAnswersAsFoundation() {
        let texts = ["", "a", "mailing list", "you are on the mailing list.", "Lista de correo ñandú", "google グループ のメンバー", "aaab", "abab"]
        let needles = ["", "a", "b", "ab", "aab", "mailing list", "list.", "ñandú", "グループ", "correo ñ", "zzz"]
        for text in texts {
            for needle in needles {
                #expect(ByteScan.contains(text, Array(needle.utf8)) == (needle.isEmpty || text.contains(needle)), "\(needle) in \(text)")
            }
        }
        #expect(ByteScan.contains("sent from my iphone"[...].dropFirst(5), Array("from".utf8)))
    }

    @Test func gmailAttribution() {
        let body = """
            Thanks, that fixed it.

            On Mon, Jan 1, 2024 at 10:00 AM Example Support <support@example.com>
            wrote:

            > Please restart the printer.
            > --
            > Support
            """
        #expect(QuoteStripper.newText(of: body) == "Thanks, that fixed it.")
    }

    @Test func outlookHeaderBlock() {
        let body = """
            Yes please, send a technician.

            ________________________________
            From: Example Support <support@example.com>
            Sent: Monday, January 1, 2024 10:00
            To: Ann <ann@example.org>
            Subject: RE: Printer broken [SB-000042]

            Should we send a technician?
            """
        #expect(QuoteStripper.newText(of: body) == "Yes please, send a technician.")
    }

    @Test func outlookOriginalMessageSeparator() {
        let body = "Still broken.\n\n-----Original Message-----\nFrom: support@example.com\nOld text"
        #expect(QuoteStripper.newText(of: body) == "Still broken.")
    }

    @Test func appleMailQuoteWithGermanAttribution() {
        let body = """
            Passt, danke!

            Von meinem iPhone gesendet

            > Am 01.01.2024 um 10:00 schrieb Example Support <support@example.com>:
            >
            > Hallo Ann,
            """
        #expect(QuoteStripper.newText(of: body) == "Passt, danke!")
    }

    @Test func bottomPostedReplyKeepsTheAnswerBelowTheQuote() {
        let body = """
            Am 07.05.2012 08:10, schrieb Support:
            > Which day suits you?

            Thursday works.
            """
        #expect(QuoteStripper.newText(of: body) == "Thursday works.")
    }

    @Test func signatureDelimiterAndMobileSignature() {
        #expect(QuoteStripper.newText(of: "Hello\n\n-- \nAnn Customer\nACME Inc.") == "Hello")
        #expect(QuoteStripper.newText(of: "Ok, thanks\n\nSent from my iPhone") == "Ok, thanks")
    }

    @Test func aBareForwardKeepsEverything() {
        let body = "---------- Forwarded message ---------\nFrom: someone@example.net\n\nPlease look at this."
        #expect(QuoteStripper.newText(of: body) == body)
    }

    @Test func gmailHTMLQuoteIsStrippedThroughBlockquote() {
        let html = """
            <div dir="ltr">Works now!</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Jan 1, 2024 at 10:00 AM Support &lt;<a href="mailto:support@example.com">support@example.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote">Please restart.</blockquote></div>
            """
        #expect(QuoteStripper.newText(of: HTMLText.plainText(fromHTML: html)) == "Works now!")
    }

    @Test func aReplyLineDirectlyAboveTheAttributionIsKeptAndTheQuoteCut() {
        let body = "Thanks!\nOn Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com> wrote:\n> Please restart."
        let split = QuoteStripper.split(body)
        #expect(split.text == "Thanks!" && split.cut)
        let wrapped = "Thanks\n示例客服 <support@example.com> 于2024年1月1日周一\n10:00写道：\n> 请重启。"
        #expect(QuoteStripper.newText(of: wrapped) == "Thanks")
    }

    @Test func quoteLinesThatLostTheirMarkerAreNotAnswers() {
        let body = """
            Thanks, I'll try.

            On Tue, Jan 16, 2024 at 9:00 AM Support <support@example.com> wrote:
            > Please unplug the router for thirty seconds and then plug it back into
            the wall.
            """
        #expect(QuoteStripper.newText(of: body) == "Thanks, I'll try.")
        let answered = "On 16.01.24 09:00, Support wrote:\n> Which colour?\nBlue.\n> Which size?\nLarge."
        #expect(QuoteStripper.newText(of: answered) == "Blue.\nLarge.")
    }

    @Test func aDeviceLineIsCutButASentenceThatBeginsLikeOneIsKept() {
        #expect(QuoteStripper.newText(of: "Yes.\n\nSent from my iPhone, please excuse typos") == "Yes.")
        #expect(QuoteStripper.newText(of: "Yes.\n\niPhoneから送信") == "Yes.")
        let sentence = "Yes.\n\nSent from my old address, the shop still has it: please update it."
        #expect(QuoteStripper.newText(of: sentence) == sentence)
    }

    @Test func aListFooterIsCut() {
        let body =
            "Is the maintenance still on?\n_______________________________________________\nOps mailing list\nOps@lists.example.org\nhttps://lists.example.org/mailman/listinfo/ops"
        let split = QuoteStripper.split(body)
        #expect(split.text == "Is the maintenance still on?" && split.cut)
    }

    @Test func outlookHTMLHistoryAfterItsMarkerIsQuoted() {
        let html =
            "<div>Friday, please.</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>De\u{A0}:</b> Support<br><b>Envoyé\u{A0}:</b> lundi</div><div>Old text</div>"
        let text = HTMLText.plainText(fromHTML: html)
        #expect(text.hasSuffix("> Old text"))
        #expect(QuoteStripper.newText(of: text) == "Friday, please.")
    }

    @Test func anHTMLForwardIsNotQuoted() {
        let html =
            "<div>FYI</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">---------- Forwarded message ---------<br>From: Courier</div><div>Parcel lost.</div></div>"
        let text = HTMLText.plainText(fromHTML: html)
        #expect(!text.contains(">"))
        #expect(QuoteStripper.newText(of: text) == text)
    }

    /// Shapes that make the new rules work hardest; each must still give text back (how long it
    /// takes is shown with SHOW_TIMINGS=1, never asserted here).
    @Test func strippingStaysLinearOnHostileReplies() {
        let bodies = [
            "Hi\n" + String(repeating: "Example Support <support@example.com> schrieb am Mo., 8. Jan. 2024, 10:15:\n", count: 50_000),
            "Hi\n" + String(repeating: "2024-01-08 10:15 GMT+01:00 Ann <\nann@example.org>:\n", count: 50_000),
            "Hi\n" + String(repeating: "Von: a\nGesendet: b\nAn: c\n", count: 50_000),
            "Hi\n" + String(repeating: "> " + String(repeating: "word ", count: 14) + "\ncontinued\n", count: 50_000),
            "Hi\n" + String(repeating: "-- \nunsubscribe mailing list\n", count: 50_000),
            "Hi\n" + String(repeating: "Sent from my iPhone, sorry\n", count: 100_000),
            "Hi\n" + String(repeating: "x", count: 2_000_000) + ":\n> q\n",
        ]
        for body in bodies {
            let clock = ContinuousClock()
            let started = clock.now
            let split = QuoteStripper.split(body)
            if ProcessInfo.processInfo.environment["SHOW_TIMINGS"] != nil { print("\(body.prefix(20).debugDescription): \(clock.now - started)") }
            #expect(!split.text.isEmpty)
        }
        let html =
            String(repeating: "<div class=\"gmail_quote\">---------- Forwarded message ---------", count: 30_000)
            + String(repeating: "<div id=\"divRplyFwdMsg\" style=\"border-top:solid #E1E1E1 1.0pt\">x</div>", count: 30_000)
        let text = HTMLText.plainText(fromHTML: html)
        #expect(text.utf8.count <= html.utf8.count)
    }
}
