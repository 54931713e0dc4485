import Foundation
import SwitchboardAdapterAPI

extension AdapterMessage {
    /// An `inbound` message (pushed, or listed in a `response`) as the normalized message the core
    /// stores.
    static func inbound(_ json: JSONValue, identity: String) throws(ProtocolViolation) -> InboundMessage {
        guard let id = json["id"]?.text?.trimmed, !id.isEmpty else { throw ProtocolViolation("inbound without \"id\"") }
        guard let from = json["from"]?.text?.trimmed, !from.isEmpty else { throw ProtocolViolation("inbound \(id) without \"from\"") }
        var sentAt: Date?
        if let raw = json["sent_at"], !raw.isNull {
            guard let text = raw.text, let date = Timestamps.parse(text) else {
                throw ProtocolViolation("inbound \(id): \"sent_at\" is not ISO 8601 or epoch seconds")
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
        return Attachment(
            kind: kind, mimeType: json["mime_type"]?.stringValue, fileName: json["file_name"]?.stringValue,
            size: json["size"]?.int64Value.map { Int($0) }, url: json["url"]?.stringValue,
            platformID: json["platform_id"]?.text, details: details)
    }
}
