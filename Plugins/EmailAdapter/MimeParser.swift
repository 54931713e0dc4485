internal import CGMime
import Foundation
import SwitchboardAdapterAPI

/// Parses raw RFC 5322 bytes with GMime into a ``ParsedEmail``. GMime is lenient by design (it
/// makes a message of nearly anything), so the checks that make input unacceptable live here.
struct MimeParser {
    /// Larger messages are refused outright: no customer writes 50 MB, and decoding costs memory.
    static let maxMessageBytes = 50 * 1024 * 1024
    /// GMime's parser recurses once per nested multipart or attached message; the nesting is
    /// counted before parsing so a hostile message cannot exhaust the stack of a gateway thread.
    static let maxNestedParts = 100
    /// How deep the part walk goes; deeper parts are ignored (legitimate mail nests 4–6 levels).
    static let maxDepth = 40
    /// Attached messages count against the same budget of parts.
    static let maxParts = 2_000

    static func parse(_ raw: [UInt8], limits: AttachmentLimits = AttachmentLimits()) throws(InboundError) -> ParsedEmail {
        guard !raw.isEmpty else { throw .malformed("empty body: expected a raw RFC 5322 message") }
        guard raw.count <= maxMessageBytes else {
            throw .malformed("message of \(raw.count) bytes is larger than the \(maxMessageBytes) byte limit")
        }
        let nesting = ByteScan.count(anyOf: ["boundary", "message/rfc822"], in: raw)
        guard nesting <= maxNestedParts else {
            throw .malformed("message nests more than \(maxNestedParts) multiparts or attached messages")
        }
        guard let start = ByteScan.fromFirstHeader(raw) else {
            throw .malformed("not an e-mail message: it does not start with header fields")
        }
        let prepared = try HeaderBlock.prepare(start)
        let input = prepared.bytes

        let options = GMimeRuntime.makeParserOptions()
        defer { g_mime_parser_options_free(options) }
        let message: UnsafeMutablePointer<GMimeMessage>? = input.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                let stream = g_mime_stream_mem_new_with_buffer(chars.baseAddress, chars.count)
                let parser = g_mime_parser_new_with_stream(stream)
                g_object_unref(stream)
                defer { g_object_unref(parser) }
                g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE)
                return g_mime_parser_construct_message(parser, options)
            }
        }
        guard let message else { throw .malformed("not an e-mail message: GMime found no header block") }
        defer { g_object_unref(message) }

        var walker = PartWalker(options: options, limits: limits)
        var parsed = readHeaders(message, options: options)
        if let root = g_mime_message_get_mime_part(message) {
            parsed.contentType = PartWalker.mediaType(root).joined
            walker.walk(root, depth: 0, collectBody: true)
        }
        parsed.body = walker.body
        parsed.attachments = walker.attachments
        parsed.truncatedHeaders = prepared.truncated
        return parsed
    }

    private static func readHeaders(_ message: UnsafeMutablePointer<GMimeMessage>, options: OpaquePointer?) -> ParsedEmail {
        var parsed = ParsedEmail()
        parsed.messageID = GMimeRuntime.string(g_mime_message_get_message_id(message)).map(MessageIDs.bare).flatMap { $0.isEmpty ? nil : $0 }
        parsed.subject = GMimeRuntime.string(g_mime_message_get_subject(message)).map(cleanHeaderText)
        if let raw = rawHeader(cgmime_message_object(message), "Subject"),
            let repaired = EncodedWords.repaired(raw: raw, options: options)
        {
            parsed.subject = cleanHeaderText(repaired)
        }
        parsed.from = Addresses.read(g_mime_message_get_from(message))
        parsed.sender = Addresses.read(g_mime_message_get_sender(message))
        parsed.replyTo = Addresses.read(g_mime_message_get_reply_to(message))
        parsed.to = Addresses.read(g_mime_message_get_to(message))
        parsed.cc = Addresses.read(g_mime_message_get_cc(message))
        // Recipients GMime cannot read as addresses (`=?…?= (hans@example.com)`) are still worth
        // showing as the header says them.
        let object: UnsafeMutablePointer<GMimeObject> = cgmime_message_object(message)
        for name in ["To", "Cc"] {
            guard (name == "To" ? parsed.to : parsed.cc).isEmpty, let raw = rawHeader(object, name), !raw.trimmed.isEmpty,
                let text = GMimeRuntime.takeString(g_mime_utils_header_decode_text(options, raw))
            else { continue }
            parsed.unparsedRecipients[name.lowercased()] = cleanHeaderText(text)
        }
        if let date = g_mime_message_get_date(message) {
            parsed.date = Date(timeIntervalSince1970: TimeInterval(g_date_time_to_unix(date)))
        }
        if let list = g_mime_object_get_header_list(object) {
            for index in 0..<g_mime_header_list_get_count(list) {
                guard let header = g_mime_header_list_get_header_at(list, index),
                    let name = GMimeRuntime.string(g_mime_header_get_name(header))
                else { continue }
                let value = GMimeRuntime.string(g_mime_header_get_value(header)) ?? ""
                parsed.headers[name.lowercased(), default: []].append(cleanHeaderText(value))
            }
        }
        parsed.inReplyTo = MessageIDs.parseList(parsed.headers["in-reply-to"] ?? [], options: options)
        parsed.references = MessageIDs.parseList(parsed.headers["references"] ?? [], options: options)
        if parsed.date == nil { parsed.date = receivedDate(parsed.headers["received"]) }
        return parsed
    }

    /// The undecoded value, unfolded.
    private static func rawHeader(_ object: UnsafeMutablePointer<GMimeObject>, _ name: String) -> String? {
        guard let list = g_mime_object_get_header_list(object), let header = g_mime_header_list_get_header(list, name),
            let raw = g_mime_header_get_raw_value(header)
        else { return nil }
        return GMimeRuntime.takeString(g_mime_utils_header_unfold(raw))
    }

    /// A missing or unreadable `Date:` falls back to when the first relay received the message.
    private static func receivedDate(_ received: [String]?) -> Date? {
        guard let last = received?.first, let semicolon = last.lastIndex(of: ";") else { return nil }
        let text = String(last[last.index(after: semicolon)...]).trimmed
        guard let date = g_mime_utils_header_decode_date(text) else { return nil }
        defer { g_date_time_unref(date) }
        return Date(timeIntervalSince1970: TimeInterval(g_date_time_to_unix(date)))
    }

    /// Folded headers keep their line breaks and tabs in GMime's value; shown text wants one line.
    static func cleanHeaderText(_ text: String) -> String {
        // Checked on the bytes: this runs for every header of every message.
        guard text.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 9 }) else { return text.trimmed }
        return text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == " " }).joined(separator: " ")
    }
}
