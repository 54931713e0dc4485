import Foundation
import SwitchboardAdapterAPI

extension AdapterMessage {
    /// An `inbound` message (pushed, or listed in a `response`) as the normalized message the core
    /// stores.
    static func inbound(_ json: JSONValue, identity: String) throws(ProtocolViolation) -> InboundMessage {
        // Ids are the exact text sent: a string or a whole number's digits, never a fraction.
        guard let id = json["id"]?.idText?.trimmed, !id.isEmpty else {
            throw ProtocolViolation("inbound without \"id\" (a string or a whole number)")
        }
        guard let from = json["from"]?.idText?.trimmed, !from.isEmpty else { throw ProtocolViolation("inbound \(id) without \"from\"") }
        var sentAt: Date?
        if let raw = json["sent_at"], !raw.isNull {
            guard let text = raw.text, let date = Timestamps.parse(text) else {
                throw ProtocolViolation("inbound \(id): \"sent_at\" is not a plausible time in ISO 8601 or epoch seconds")
            }
            sentAt = date
        }
        var metadata: [String: String] = [:]
        if case .object(let fields)? = json["metadata"] {
            for (key, value) in fields { if let text = value.text { metadata[key] = text } }
        }
        var attachments: [Attachment] = []
        if case .array(let items)? = json["attachments"] {
            for item in items { attachments.append(try attachment(item, of: id)) }
        }
        return InboundMessage(
            externalID: id, from: ChannelIdentity(channel: identity, address: from),
            customerName: json["name"]?.stringValue, text: json["text"]?.text ?? "", sentAt: sentAt,
            threadRef: json["thread"]?.text, metadata: metadata, attachments: attachments)
    }

    private static func attachment(_ json: JSONValue, of id: String) throws(ProtocolViolation) -> Attachment {
        guard let kind = json["kind"]?.stringValue, !kind.isEmpty else {
            throw ProtocolViolation("inbound \(id): an attachment without \"kind\"")
        }
        var details: [String: String]?
        if case .object(let fields)? = json["details"] {
            details = fields.compactMapValues(\.text)
        }
        // The bytes themselves (stored with the message), or a `url` the gateway fetches later.
        var content: Data?
        if let encoded = json["content_base64"]?.stringValue {
            guard let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw ProtocolViolation("inbound \(id): an attachment's \"content_base64\" is not base64")
            }
            content = bytes
        }
        return Attachment(
            kind: kind, mimeType: json["mime_type"]?.stringValue, fileName: json["file_name"]?.stringValue,
            size: json["size"]?.int64Value.map { Int($0) }, url: json["url"]?.stringValue,
            platformID: json["platform_id"]?.text, details: details, content: content)
    }

    /// `{"type":"ignored","reason":"code"}`: what the process did not pass on, and why. The reason
    /// becomes a metrics label, so only a short code of `a–z 0–9 _` is kept as it is; anything else
    /// counts as `adapter_ignored`.
    static func ignoreReason(_ json: JSONValue) -> IgnoreReason {
        guard let code = json["reason"]?.stringValue, (1...48).contains(code.utf8.count),
            code.utf8.allSatisfy({
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_")
            })
        else { return IgnoreReason("adapter_ignored") }
        return IgnoreReason(code)
    }
}
