internal import CGMime
import Foundation
import SwitchboardAdapterAPI

/// Walks a message's MIME tree: picks the readable body (plain text preferred, HTML turned into
/// text) and lists everything else as attachments with their decoded size and, within the
/// adapter's limits, their decoded bytes.
struct PartWalker {
    struct MediaType {
        var type: String
        var subtype: String
        var joined: String { "\(type)/\(subtype)" }
    }

    let options: OpaquePointer?
    let limits: AttachmentLimits
    private var segments: [String] = []
    private(set) var attachments: [SwitchboardAdapterAPI.Attachment] = []
    private var visited = 0
    /// Attachment bytes kept so far in this message.
    private var keptBytes = 0

    init(options: OpaquePointer?, limits: AttachmentLimits = AttachmentLimits()) {
        self.options = options
        self.limits = limits
    }

    /// The body segments in order: Apple Mail splits one text around inline attachments.
    var body: String {
        segments.filter { !$0.trimmed.isEmpty }.joined(separator: "\n\n")
    }

    static func mediaType(_ object: UnsafeMutablePointer<GMimeObject>) -> MediaType {
        guard let contentType = g_mime_object_get_content_type(object) else { return MediaType(type: "text", subtype: "plain") }
        let type = GMimeRuntime.string(g_mime_content_type_get_media_type(contentType))?.lowercased() ?? "text"
        let subtype = GMimeRuntime.string(g_mime_content_type_get_media_subtype(contentType))?.lowercased() ?? "plain"
        return MediaType(type: type, subtype: subtype)
    }

    /// `collectBody` is false in the branches of a `multipart/alternative` that were not chosen:
    /// their text repeats the body, but an image in them is still an attachment.
    mutating func walk(_ object: UnsafeMutablePointer<GMimeObject>, depth: Int, collectBody: Bool) {
        visited += 1
        guard depth <= MimeParser.maxDepth, visited <= MimeParser.maxParts else { return }
        let media = Self.mediaType(object)
        if cgmime_is_multipart(object) != 0 {
            let multipart = cgmime_as_multipart(object)
            let children = (0..<max(0, g_mime_multipart_get_count(multipart))).compactMap { g_mime_multipart_get_part(multipart, $0) }
            switch media.subtype {
            case "alternative":
                let chosen = chooseAlternative(children)
                for (index, child) in children.enumerated() {
                    walk(child, depth: depth + 1, collectBody: collectBody && index == chosen)
                }
            case "signed", "encrypted":
                // Only the first part is content; the signature or key part is kept as an attachment.
                for (index, child) in children.enumerated() {
                    walk(child, depth: depth + 1, collectBody: collectBody && index == 0)
                }
            default:
                for child in children { walk(child, depth: depth + 1, collectBody: collectBody) }
            }
            return
        }
        if cgmime_is_message_part(object) != 0 {
            let (attachment, bytes) = attachedMessage(object)
            attachments.append(keeping(bytes, in: attachment))
            return
        }
        guard cgmime_is_part(object) != 0, let part = cgmime_as_part(object) else { return }
        let fileName = GMimeRuntime.string(g_mime_part_get_filename(part)).map(MimeParser.cleanHeaderText)
        let disposition = GMimeRuntime.string(g_mime_object_get_disposition(object))?.lowercased()
        let bytes = Self.decodedContent(part)
        if Self.isBodyText(media, disposition: disposition, fileName: fileName) {
            if collectBody { segments.append(text(bytes, media: media, object: object)) }
            return
        }
        var details: [String: String] = [:]
        if let contentID = GMimeRuntime.string(g_mime_object_get_content_id(object)), !contentID.isEmpty {
            details["content_id"] = contentID
        }
        if let disposition { details["disposition"] = disposition }
        attachments.append(
            keeping(
                bytes,
                in: Attachment(
                    kind: Self.kind(media), mimeType: media.joined, fileName: fileName?.isEmpty == true ? nil : fileName,
                    size: bytes.count, details: details.isEmpty ? nil : details)))
    }

    /// The attachment with its bytes, or marked not stored with the limit that kept them out.
    private mutating func keeping(_ bytes: [UInt8], in attachment: SwitchboardAdapterAPI.Attachment) -> SwitchboardAdapterAPI.Attachment {
        var attachment = attachment
        if let refusal = limits.refusal(size: bytes.count, kept: keptBytes) {
            attachment.stored = false
            attachment.notStoredReason = refusal
        } else {
            keptBytes += bytes.count
            attachment.content = Data(bytes)
        }
        return attachment
    }

    private static func isBodyText(_ media: MediaType, disposition: String?, fileName: String?) -> Bool {
        media.type == "text" && (media.subtype == "plain" || media.subtype == "html")
            && disposition != "attachment" && (fileName ?? "").isEmpty
    }

    /// The first plain-text alternative with something in it; otherwise the last (richest) one.
    /// An empty plain part next to the HTML one is common (Zammad's mail034).
    private func chooseAlternative(_ children: [UnsafeMutablePointer<GMimeObject>]) -> Int {
        for (index, child) in children.enumerated() where cgmime_is_part(child) != 0 {
            let media = Self.mediaType(child)
            guard media.type == "text", media.subtype == "plain" else { continue }
            guard let part = cgmime_as_part(child) else { continue }
            let disposition = GMimeRuntime.string(g_mime_object_get_disposition(child))?.lowercased()
            guard disposition != "attachment" else { continue }
            if !text(Self.decodedContent(part), media: media, object: child).trimmed.isEmpty { return index }
        }
        return children.count - 1
    }

    private func text(_ bytes: [UInt8], media: MediaType, object: UnsafeMutablePointer<GMimeObject>) -> String {
        let charset = GMimeRuntime.string(g_mime_object_get_content_type_parameter(object, "charset"))
        let text = TextDecoding.text(bytes, charset: charset, options: options)
        return media.subtype == "html" ? HTMLText.plainText(fromHTML: text) : text
    }

    /// The content with its transfer encoding (base64, quoted-printable, uuencode) undone.
    static func decodedContent(_ part: UnsafeMutablePointer<GMimePart>) -> [UInt8] {
        guard let wrapper = g_mime_part_get_content(part), let stream = g_mime_stream_mem_new() else { return [] }
        defer { g_object_unref(stream) }
        _ = g_mime_data_wrapper_write_to_stream(wrapper, stream)
        return GMimeRuntime.bytes(of: stream)
    }

    /// An attached message (`message/rfc822`), as the `.eml` file it would be saved as.
    private func attachedMessage(_ object: UnsafeMutablePointer<GMimeObject>) -> (SwitchboardAdapterAPI.Attachment, [UInt8]) {
        let inner = g_mime_message_part_get_message(cgmime_as_message_part(object))
        var bytes: [UInt8] = []
        var subject: String?
        if let inner, let stream = g_mime_stream_mem_new() {
            _ = g_mime_object_write_to_stream(cgmime_message_object(inner), nil, stream)
            bytes = GMimeRuntime.bytes(of: stream)
            g_object_unref(stream)
            subject = GMimeRuntime.string(g_mime_message_get_subject(inner)).map(MimeParser.cleanHeaderText)
        }
        let named = GMimeRuntime.string(g_mime_object_get_content_disposition_parameter(object, "filename"))
        let fileName = named ?? subject.map { ($0.isEmpty ? "message" : $0) + ".eml" } ?? "message.eml"
        return (Attachment(kind: "message", mimeType: Self.mediaType(object).joined, fileName: fileName, size: bytes.count), bytes)
    }

    static func kind(_ media: MediaType) -> String {
        switch media.type {
        case "image", "audio", "video": media.type
        case "message": "message"
        default: "document"
        }
    }
}
