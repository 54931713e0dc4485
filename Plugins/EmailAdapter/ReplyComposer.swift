internal import CGMime
import Foundation
import SwitchboardAdapterAPI

/// Builds the RFC 5322 bytes of one reply with GMime, which takes care of RFC 2047 encoding of
/// non-ASCII subjects and names, header folding and quoted-printable bodies.
struct ReplyComposer {
    let settings: EmailSettings

    struct Composed {
        var data: Data
        /// Without angle brackets.
        var messageID: String
        var subject: String
        /// The other participants, copied (`Cc`) on a reply; none on an acknowledgement.
        var cc: [String]
    }

    func compose(_ message: OutboundMessage, date: Date) -> Composed {
        GMimeRuntime.ensureInitialized()
        let subject = ReplyThreading.subject(answered: message.inReplyToMetadata["subject"], reference: message.reference)
        let messageID = OwnMessageIDs.make(conversationID: message.conversationID, messageID: message.id, tag: message.tag, domain: settings.domain)
        let answered = ReplyThreading.answeredID(inReplyTo: message.inReplyTo, metadata: message.inReplyToMetadata)
        let references = ReplyThreading.references(answeredID: answered, metadata: message.inReplyToMetadata)

        let mail = g_mime_message_new(1)!
        defer { g_object_unref(mail) }
        let object = cgmime_message_object(mail)
        g_mime_message_add_mailbox(mail, GMIME_ADDRESS_TYPE_FROM, settings.displayName ?? "", settings.address)
        // The unknown-sender customer's name is ours, not the person's an agent linked to it.
        let name = message.customerName.flatMap { UnknownSender.isPlaceholderName($0) ? nil : $0 } ?? ""
        g_mime_message_add_mailbox(mail, GMIME_ADDRESS_TYPE_TO, name, message.to)
        // Reply-all, as mail clients do; an automatic acknowledgement goes to the writer only.
        let settings = settings
        let cc =
            message.purpose == .reply
            ? Participants.copies(metadata: message.inReplyToMetadata, to: message.to, isOwn: { settings.isOwnMailbox($0) }) : []
        for address in cc { g_mime_message_add_mailbox(mail, GMIME_ADDRESS_TYPE_CC, "", address) }
        g_mime_message_set_subject(mail, subject, "utf-8")
        if let dateTime = g_date_time_new_from_unix_utc(gint64(date.timeIntervalSince1970)) {
            g_mime_message_set_date(mail, dateTime)
            g_date_time_unref(dateTime)
        }
        g_mime_message_set_message_id(mail, messageID)
        if let answered { g_mime_object_set_header(object, "In-Reply-To", "<\(answered)>", nil) }
        if !references.isEmpty {
            g_mime_object_set_header(object, "References", references.map { "<\($0)>" }.joined(separator: " "), nil)
        }
        if message.purpose == .acknowledgement {
            // RFC 3834: an automatic answer, so other systems do not answer it in turn; and no
            // Exchange out-of-office note back to an acknowledgement.
            g_mime_object_set_header(object, "Auto-Submitted", "auto-replied", nil)
            g_mime_object_set_header(object, "X-Auto-Response-Suppress", "All", nil)
        }

        let text = Self.normalizedLines(message.text)
        let plain = Self.textPart(subtype: "plain", text: text)
        var body = cgmime_text_part_object(plain)!
        if settings.htmlReplies {
            let alternative = g_mime_multipart_new_with_subtype("alternative")!
            let html = Self.textPart(subtype: "html", text: ReplyHTML.html(fromText: text))
            g_mime_multipart_add(alternative, cgmime_text_part_object(plain))
            g_mime_multipart_add(alternative, cgmime_text_part_object(html))
            g_object_unref(plain)
            g_object_unref(html)
            body = cgmime_multipart_object(alternative)
        }
        if !message.attachments.isEmpty {
            // The text first, then each file as its own part (multipart/mixed), as mail clients send them.
            let mixed = g_mime_multipart_new_with_subtype("mixed")!
            g_mime_multipart_add(mixed, body)
            g_object_unref(body)
            for file in message.attachments {
                let part = Self.filePart(file)
                g_mime_multipart_add(mixed, cgmime_part_object(part))
                g_object_unref(part)
            }
            body = cgmime_multipart_object(mixed)
        }
        g_mime_message_set_mime_part(mail, body)
        g_object_unref(body)

        // SMTP wants CRLF line ends throughout.
        let format = g_mime_format_options_new()
        defer { g_mime_format_options_free(format) }
        g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS)
        // A file name outside ASCII is written as RFC 2231 says (filename*=utf-8''…), never raw.
        g_mime_format_options_set_param_encoding_method(format, GMIME_PARAM_ENCODING_METHOD_RFC2231)
        let stream = g_mime_stream_mem_new()!
        defer { g_object_unref(stream) }
        _ = g_mime_object_write_to_stream(object, format, stream)
        return Composed(data: Data(GMimeRuntime.bytes(of: stream)), messageID: messageID, subject: subject, cc: cc)
    }

    /// A UTF-8 quoted-printable part: readable in any client, safe for any line length.
    private static func textPart(subtype: String, text: String) -> UnsafeMutablePointer<GMimeTextPart> {
        let part = g_mime_text_part_new_with_subtype(subtype)!
        let bytes = Array(text.utf8)
        let stream = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { g_mime_stream_mem_new_with_buffer($0.baseAddress, $0.count)! }
        }
        let content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT)
        g_object_unref(stream)
        g_mime_part_set_content(cgmime_text_part_as_part(part), content)
        g_object_unref(content)
        g_mime_text_part_set_charset(part, "utf-8")
        g_mime_part_set_content_encoding(cgmime_text_part_as_part(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        return part
    }

    /// One attached file: its declared type, `Content-Disposition: attachment` with the name, base64.
    private static func filePart(_ file: OutboundAttachment) -> UnsafeMutablePointer<GMimePart> {
        let halves = file.mimeType.split(separator: "/", maxSplits: 1).map(String.init)
        let part =
            halves.count == 2
            ? g_mime_part_new_with_type(halves[0], halves[1])! : g_mime_part_new_with_type("application", "octet-stream")!
        let object = cgmime_part_object(part)
        g_mime_object_set_disposition(object, "attachment")
        g_mime_part_set_filename(part, file.fileName)
        let stream = file.content.withUnsafeBytes { buffer in
            buffer.withMemoryRebound(to: CChar.self) { g_mime_stream_mem_new_with_buffer($0.baseAddress, $0.count)! }
        }
        let content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT)
        g_object_unref(stream)
        g_mime_part_set_content(part, content)
        g_object_unref(content)
        g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64)
        return part
    }

    /// LF line ends inside the content; GMime writes them as CRLF.
    private static func normalizedLines(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }
}
