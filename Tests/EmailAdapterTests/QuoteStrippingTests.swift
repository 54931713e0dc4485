import Testing

@testable import EmailAdapter

@Suite struct QuoteStrippingTests {
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
}
