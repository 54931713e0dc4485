/// Hand-written messages, one per shape the decoder must handle. Header blocks are minimal on
/// purpose: each fixture shows one thing.
enum MailFixtures {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let alternative = """
        From: Ann Customer <Ann@Example.org>
        To: support@example.com
        Subject: Printer broken
        Message-ID: <alt-1@example.org>
        Date: Tue, 02 Jan 2024 10:00:00 +0100
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8

        My printer is broken.
        --b1
        Content-Type: text/html; charset=utf-8

        <p>My <b>printer</b> is broken.</p>
        --b1--
        """

    static let nestedMixedRelated = """
        From: ann@example.org
        Subject: Nested
        Message-ID: <nested-1@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer"

        --outer
        Content-Type: multipart/alternative; boundary="alt"

        --alt
        Content-Type: text/plain; charset=us-ascii

        See the photo and the invoice.
        --alt
        Content-Type: multipart/related; boundary="rel"

        --rel
        Content-Type: text/html; charset=us-ascii

        <p>See the photo <img src="cid:photo1"> and the invoice.</p>
        --rel
        Content-Type: image/png; name="photo.png"
        Content-ID: <photo1>
        Content-Transfer-Encoding: base64

        AAECAwQFBgcICQ==
        --rel--
        --alt--
        --outer
        Content-Type: application/pdf; name="invoice.pdf"
        Content-Disposition: attachment; filename="invoice.pdf"
        Content-Transfer-Encoding: base64

        AAECAwQFBgcICQ==
        --outer--
        """

    static let quotedPrintableLatin1 = """
        From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <Joerg.Mueller@Example.DE>
        Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=
        Message-ID: <qp-1@example.de>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=ISO-8859-1
        Content-Transfer-Encoding: quoted-printable

        Sch=F6ne Gr=FC=DFe, ein sehr langer Satz der umbrochen werden muss, damit d=
        ie Zeile nicht zu lang wird.
        """

    static let base64Windows1252 = """
        From: shop@example.net
        Subject: =?UTF-8?B?w4RyZ2VyIG1pdCBkZXIgTGllZmVydW5n?=
        Message-ID: <b64-1@example.net>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=windows-1252
        Content-Transfer-Encoding: base64

        UHJlaXM6IDIwIIAgliCEZ3V0kywgR3L832U=
        """

    static let htmlOnly = """
        From: web@example.org
        Subject: HTML only
        Message-ID: <html-1@example.org>
        MIME-Version: 1.0
        Content-Type: text/html; charset=utf-8

        <html><head><title>Ignored title</title><style>p { color: red }</style>
        <script>alert("no")</script></head><body>
        <p>Hello &amp; welcome,&nbsp;friend &#8211; caf&eacute;</p>
        <ul><li>first</li><li>second</li></ul>
        <div>See <a href="https://example.org/help">our help page</a>.</div>
        Line one<br>Line two
        </body></html>
        """

    static let attachments = """
        From: ann@example.org
        Subject: Files
        Message-ID: <att-1@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="m"

        --m
        Content-Type: text/plain

        Two files attached.
        --m
        Content-Type: image/jpeg
        Content-Disposition: attachment; filename*=UTF-8''Qu%C3%A4der.jpg
        Content-Transfer-Encoding: base64

        AAECAwQFBgcICQ==
        --m
        Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="=?UTF-8?Q?Pr=C3=BCfung.xlsx?="
        Content-Disposition: attachment
        Content-Transfer-Encoding: base64

        AAECAwQF
        --m--
        """

    static func reply(_ body: String, headers: String = "") -> String {
        """
        From: Ann <ann@example.org>
        Subject: Re: Printer broken [SB-000042]
        Message-ID: <reply-1@example.org>
        In-Reply-To: <sb.42.7.k3Jq9ZtW@example.com>
        References: <root@example.org> <sb.42.7.k3Jq9ZtW@example.com>
        \(headers)Content-Type: text/plain; charset=utf-8

        \(body)
        """
    }

    static let autoReply = """
        From: ann@example.org
        Subject: Out of the office
        Message-ID: <auto-1@example.org>
        Auto-Submitted: auto-replied
        Content-Type: text/plain

        I am away until Monday.
        """

    static let bounce = """
        From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
        Subject: Undelivered Mail Returned to Sender
        Message-ID: <bounce-1@mx.example.org>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="r"

        --r
        Content-Type: text/plain

        Your message could not be delivered.
        --r
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.org
        Final-Recipient: rfc822; nobody@example.org
        Action: failed
        Status: 5.1.1
        --r--
        """

    /// `depth` multiparts, each holding the next.
    static func nested(depth: Int) -> String {
        var text = "From: ann@example.org\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
        for level in 1..<depth {
            text += "--b\(level - 1)\nContent-Type: multipart/mixed; boundary=\"b\(level)\"\n\n"
        }
        text += "--b\(depth - 1)\nContent-Type: text/plain\n\ndeep inside\n"
        for level in (0..<depth).reversed() { text += "--b\(level)--\n" }
        return text
    }
}
