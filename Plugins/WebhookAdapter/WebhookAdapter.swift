import Foundation
import SwitchboardAdapterAPI

/// The generic JSON webhook adapter (`type: webhook`), and the reference for adapter authors:
/// inbound fields are found by JSON pointer, an optional HMAC-SHA256 signature guards the hook,
/// and replies are POSTed as JSON to `outbound.url`.
public struct WebhookAdapter: ChannelAdapter {
    public let id: String
    public let settings: WebhookSettings
    private let transport: any HTTPTransport

    public init(id: String, settings: WebhookSettings, transport: any HTTPTransport) {
        self.id = id
        self.settings = settings
        self.transport = transport
    }

    public var capabilities: AdapterCapabilities { settings.capabilities }

    public var identityChannel: String? { settings.identityChannel }

    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        guard request.method == "POST" else { throw InboundError.methodNotAllowed("this hook accepts POST only") }
        if let secret = settings.secret {
            guard let header = request.header(WebhookSettings.signatureHeader) else {
                throw InboundError.unauthorized("missing \(WebhookSettings.signatureHeader) header")
            }
            guard secret.verifySHA256Hex(body: request.body, signature: header, prefix: "sha256=") else {
                throw InboundError.unauthorized("signature does not match the body")
            }
        }
        let document = try JSONValue.parse(request.body)
        // A batch is a JSON array of messages; a single message is an object.
        let items: [JSONValue] = if case .array(let list) = document { list } else { [document] }
        return .events(
            try items.enumerated().map { index, item in
                .message(try decode(item, position: items.count > 1 ? index : nil))
            })
    }

    func decode(_ item: JSONValue, position: Int?) throws(InboundError) -> InboundMessage {
        let map = settings.inbound
        let at = position.map { " in item \($0)" } ?? ""
        // Ids and addresses are compared as the exact text sent: a string, or a whole number's
        // digits (never through a Double, where two 20-digit ids become one).
        func required(_ pointer: JSONPointer, _ name: String) throws(InboundError) -> String {
            guard let found = item[pointer: pointer], found.text?.trimmed.isEmpty == false else {
                throw .malformed("missing '\(name)' at JSON pointer \(pointer)\(at)")
            }
            guard let value = found.idText?.trimmed, !value.isEmpty else {
                throw .malformed("'\(name)' at JSON pointer \(pointer)\(at) must be a string or a whole number")
            }
            return value
        }
        let externalID = try required(map.messageID, "message_id")
        let from = try required(map.customer, "customer")
        guard let text = item[pointer: map.text]?.text else { throw .malformed("missing 'text' at JSON pointer \(map.text)\(at)") }
        var sentAt: Date?
        if let pointer = map.sentAt, let raw = item[pointer: pointer]?.text {
            guard let date = Timestamps.parse(raw) else {
                throw .malformed("'sent_at' at JSON pointer \(pointer)\(at) is not a plausible time in ISO 8601 or epoch seconds: \(raw.prefix(40))")
            }
            sentAt = date
        }
        let name = map.customerName.flatMap { item[pointer: $0]?.text }
        var priority: Priority?
        if let pointer = map.priority, let raw = item[pointer: pointer]?.text {
            guard let value = Priority(rawValue: raw.trimmed.lowercased()) else {
                throw .malformed("'priority' at JSON pointer \(pointer)\(at) must be one of \(Priority.names)")
            }
            priority = value
        }
        var metadata: [String: String] = [:]
        if let pointer = map.subject, let subject = item[pointer: pointer]?.text?.trimmed, !subject.isEmpty { metadata["subject"] = subject }
        if let pointer = map.language, let language = item[pointer: pointer]?.text?.trimmed, !language.isEmpty { metadata["language"] = language }
        return InboundMessage(
            externalID: externalID, from: ChannelIdentity(channel: settings.identityChannel, address: from),
            customerName: name, text: text, sentAt: sentAt, metadata: metadata, priority: priority)
    }

    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        let payload = OutboundPayload(
            id: message.id, conversation: message.conversationID, to: message.to, text: message.text,
            in_reply_to: message.inReplyTo,
            attachments: message.attachments.map {
                .init(file_name: $0.fileName, mime_type: $0.mimeType, size: $0.content.count, content_base64: $0.content.base64EncodedString())
            })
        let body = Array(try JSONEncoder().encode(payload))
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("Idempotency-Key", message.idempotencyKey),
        ]
        if let secret = settings.secret {
            headers.append((WebhookSettings.signatureHeader, "sha256=" + secret.sha256Hex(body)))
        }
        let response = try await transport.sendForDelivery(
            HTTPRequest(method: "POST", url: settings.outboundURL, headers: headers, body: body, timeout: settings.timeout),
            reaching: settings.outboundURL)
        guard (200..<300).contains(response.status) else {
            throw DeliveryFailure.fromHTTP(response, context: settings.outboundURL)
        }
        // The receiver may say which id it gave the message; status reports can then refer to it.
        let externalID = (try? JSONValue.parse(response.body))?[pointer: "/id"]?.text
        return DeliveryReceipt(externalID: externalID, state: .delivered)
    }

    /// The JSON a reply is POSTed as.
    struct OutboundPayload: Encodable {
        var id: Int64
        var conversation: Int64
        var to: String
        var text: String
        var in_reply_to: String?
        /// Present only when the reply carries files.
        var attachments: [File]

        struct File: Encodable {
            var file_name: String
            var mime_type: String
            var size: Int
            var content_base64: String
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(conversation, forKey: .conversation)
            try c.encode(to, forKey: .to)
            try c.encode(text, forKey: .text)
            // Always present, null when the reply answers no particular message.
            try c.encode(in_reply_to, forKey: .in_reply_to)
            if !attachments.isEmpty { try c.encode(attachments, forKey: .attachments) }
        }

        enum CodingKeys: String, CodingKey { case id, conversation, to, text, in_reply_to, attachments }
    }
}
