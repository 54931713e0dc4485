import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Attachments carry their decoded bytes to the store, within the adapter's limits.
@Suite struct AttachmentContentTests {
    private static let pdf = Data("%PDF-1.4\n%âãÏÓ\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".utf8)
    private static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0x00])

    /// A PDF in base64 (wrapped at 76), an image in base64, a text file in quoted-printable, and
    /// an attached message.
    private static let mail = """
        From: Ann <ann@example.org>
        To: support@example.com
        Subject: Invoice and photo
        Message-ID: <files-1@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8

        Please see the files.
        --b1
        Content-Type: application/pdf; name="Rechnung März.pdf"
        Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf
        Content-Transfer-Encoding: base64

        \(wrapped(pdf.base64EncodedString()))
        --b1
        Content-Type: image/png
        Content-Disposition: inline; filename="photo.png"
        Content-Transfer-Encoding: base64

        \(png.base64EncodedString())
        --b1
        Content-Type: text/csv; charset=iso-8859-1
        Content-Disposition: attachment; filename="orders.csv"
        Content-Transfer-Encoding: quoted-printable

        id;name=0Acaf=E9;ol=C3=A9
        --b1
        Content-Type: message/rfc822
        Content-Disposition: attachment

        From: Bob <bob@example.net>
        Subject: Original order
        Message-ID: <inner@example.net>

        Order 42.
        --b1--
        """

    private static func wrapped(_ base64: String) -> String {
        stride(from: 0, to: base64.count, by: 76).map { start in
            let from = base64.index(base64.startIndex, offsetBy: start)
            return String(base64[from..<(base64.index(from, offsetBy: 76, limitedBy: base64.endIndex) ?? base64.endIndex)])
        }.joined(separator: "\n")
    }

    private func decode(_ limits: AttachmentLimits = AttachmentLimits()) throws -> InboundMessage {
        try EmailDecoder.decode(MailFixtures.bytes(Self.mail), ownAddress: "support@example.com", limits: limits)
    }

    @Test func base64AndQuotedPrintablePartsCarryTheirDecodedBytes() throws {
        let message = try decode()
        #expect(message.attachments.map(\.fileName) == ["Rechnung März.pdf", "photo.png", "orders.csv", "Original order.eml"])
        let pdf = message.attachments[0]
        let png = message.attachments[1]
        let csv = message.attachments[2]
        let eml = message.attachments[3]
        #expect(pdf.content == Self.pdf)
        #expect(pdf.size == Self.pdf.count)
        #expect(png.content == Self.png)
        #expect(png.size == 14)
        // Quoted-printable undone, the charset left as sent: a download gives the file as it was.
        #expect(csv.content == Data("id;name\ncaf\u{E9};ol\u{C3}\u{A9}".unicodeScalars.map { UInt8($0.value) }))
        #expect(csv.size == csv.content?.count)
        let inner = String(decoding: try #require(eml.content), as: UTF8.self)
        #expect(inner.contains("Subject: Original order") && inner.contains("Order 42."))
        #expect(eml.size == eml.content?.count)
        #expect(message.attachments.allSatisfy { $0.stored == nil }, "stored is the store's word, once it has written them")
        #expect(message.text == "Please see the files.")
    }

    @Test func aLargeAttachmentIsListedWithTheReasonItWasNotKept() throws {
        let message = try decode(AttachmentLimits(maxBytes: 20, maxMessageBytes: 30))
        let pdf = message.attachments[0]
        let png = message.attachments[1]
        let csv = message.attachments[2]
        #expect(pdf.content == nil)
        #expect(pdf.stored == false)
        #expect(pdf.size == Self.pdf.count, "the size is still the file's")
        #expect(pdf.notStoredReason?.contains("attachments.max_bytes") == true)
        #expect(png.content == Self.png)
        // 14 bytes kept; the 17-byte CSV fits alone but not beside them.
        #expect(csv.content == nil)
        #expect(csv.notStoredReason?.contains("attachments.max_message_bytes") == true)
        let json = String(decoding: try JSONEncoder().encode(pdf), as: UTF8.self)
        #expect(json.contains(#""stored":false"#) && json.contains(#""reason":"#))
    }

    @Test func maxBytesZeroKeepsOnlyMetadata() throws {
        let message = try decode(AttachmentLimits(maxBytes: 0))
        #expect(message.attachments.count == 4)
        #expect(message.attachments.allSatisfy { $0.content == nil && $0.stored == false && $0.size != nil })
    }

    @Test func theContentIsNeverPartOfTheMessagesJSON() throws {
        let json = String(decoding: try JSONEncoder().encode(try decode().attachments), as: UTF8.self)
        #expect(!json.contains(Self.pdf.base64EncodedString()))
        #expect(!json.contains("content"))
    }
}
