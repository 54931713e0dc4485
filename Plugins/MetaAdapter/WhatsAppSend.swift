import SwitchboardAdapterAPI

extension WhatsAppAdapter {
    /// Sends a text reply. The answer's `messages[0].id` (a wamid) is the receipt's id, so later
    /// status webhooks find the reply; the state is `sent` until WhatsApp reports delivery.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard let recipient = WhatsAppRecipient(message.to) else {
            throw DeliveryFailure("'\(message.to)' is neither a phone number nor a WhatsApp user id (BSUID) WhatsApp can send to", permanent: true)
        }
        let context: WhatsAppContext? = message.quoted ? message.inReplyTo.map { .init(message_id: $0) } : nil
        if let template = message.template {
            let payload = WhatsAppMessage(recipient: recipient, type: "template", content: WhatsAppTemplate(template))
            let answer = try await graph.post(settings.graph.messagesURL(node: settings.phoneNumberID), json: try MetaGraphClient.encode(payload))
            return DeliveryReceipt(externalID: answer.field("messages")?.items.first?.string("id"), state: .sent)
        }
        if let file = message.attachments.first {
            return try await deliverMedia(file, message: message, recipient: recipient, context: context)
        }
        let payload = WhatsAppMessage(recipient: recipient, type: "text", content: WhatsAppText(body: message.text), context: context)
        let answer = try await graph.post(settings.graph.messagesURL(node: settings.phoneNumberID), json: try MetaGraphClient.encode(payload))
        let wamid = answer.field("messages")?.items.first?.string("id")
        return DeliveryReceipt(externalID: wamid, state: .sent)
    }

    /// Uploads the file (`POST /{phone_number_id}/media`, unless an earlier attempt did: the media id
    /// is kept with the reply) and sends it as an `image`, `audio`, `video` or `document` message
    /// with the text as its caption. Audio takes no caption: the text goes first, as its own message.
    func deliverMedia(
        _ file: OutboundAttachment, message: OutboundMessage, recipient: WhatsAppRecipient, context: WhatsAppContext?
    ) async throws -> DeliveryReceipt {
        let mediaID: String
        if let known = file.platformMediaID {
            mediaID = known
        } else {
            var form = MultipartBody()
            form.field("messaging_product", "whatsapp")
            form.field("type", file.mimeType)
            form.file("file", fileName: file.fileName, mimeType: file.mimeType, content: file.content)
            let answer = try await graph.upload(settings.graph.mediaURL(node: settings.phoneNumberID), form: form)
            guard let id = answer.string("id"), !id.isEmpty else {
                throw DeliveryFailure("the WhatsApp Cloud API took the file but answered no media id")
            }
            await message.rememberMedia(file.index, id)
            mediaID = id
        }
        let caption = message.text.isEmpty ? nil : message.text
        let url = settings.graph.messagesURL(node: settings.phoneNumberID)
        if file.kind == "audio", caption != nil {
            let text = WhatsAppMessage(recipient: recipient, type: "text", content: WhatsAppText(body: message.text), context: context)
            _ = try await graph.post(url, json: try MetaGraphClient.encode(text))
        }
        let media = WhatsAppMedia(
            id: mediaID, caption: file.kind == "audio" ? nil : caption, filename: file.kind == "document" ? file.fileName : nil)
        let type = ["image", "audio", "video"].contains(file.kind) ? file.kind : "document"
        let payload = WhatsAppMessage(recipient: recipient, type: type, content: media, context: context)
        let answer = try await graph.post(url, json: try MetaGraphClient.encode(payload))
        return DeliveryReceipt(externalID: answer.field("messages")?.items.first?.string("id"), state: .sent)
    }
}

/// A message to the Cloud API: what every kind carries — `messaging_product`, `recipient_type`, `to`
/// (a phone number's digits) or `recipient` (a user id), `type`, and a `context` quoting the customer's
/// message — around its content, which goes under the key its type names:
/// `{"type": "text", "text": {"body"}}`, `{"type": "document", "document": {"id", …}}`, `{"type": "template", …}`.
struct WhatsAppMessage<Content: Encodable>: Encodable {
    var recipient: WhatsAppRecipient
    var type: String
    var content: Content
    var context: WhatsAppContext?

    init(recipient: WhatsAppRecipient, type: String, content: Content, context: WhatsAppContext? = nil) {
        self.recipient = recipient
        self.type = type
        self.content = content
        self.context = context
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode("whatsapp", forKey: Key("messaging_product"))
        try c.encode("individual", forKey: Key("recipient_type"))
        switch recipient {
        case .phone(let digits): try c.encode(digits, forKey: Key("to"))
        case .userID(let id): try c.encode(id, forKey: Key("recipient"))
        }
        try c.encode(type, forKey: Key("type"))
        try c.encode(content, forKey: Key(type))
        try c.encodeIfPresent(context, forKey: Key("context"))
    }
}

/// Quotes the customer's message in WhatsApp, so the answer is visibly attached to it.
struct WhatsAppContext: Encodable { var message_id: String }

/// A text message's content: `{"body"}`.
struct WhatsAppText: Encodable { var body: String }

/// A media message's content: `{"id", "caption", "filename"}` (the id of an uploaded file).
struct WhatsAppMedia: Encodable {
    var id: String
    var caption: String?
    var filename: String?
}

/// Whom a reply goes to: a phone number (the core keeps `phone` identities in E.164; the Cloud API
/// wants the digits alone, in `to`) or a business-scoped user id (`US.13491208655302741918`, of a
/// `whatsapp-user` identity), which the Cloud API takes in `recipient` instead of `to`.
enum WhatsAppRecipient: Equatable {
    case phone(String)
    case userID(String)

    init?(_ address: String) {
        let text = address.trimmed
        let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
        if !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) {
            self = .phone(digits)
        } else if Self.isUserID(text) {
            self = .userID(text)
        } else {
            return nil
        }
    }

    /// A BSUID: a two-letter country code, a period, then letters, digits and periods
    /// (`US.ENT.…` for a parent BSUID), at most 128 after the country code.
    static func isUserID(_ text: String) -> Bool {
        let parts = Array(text.utf8)
        guard parts.count >= 4, parts.count <= 131, parts[2] == UInt8(ascii: "."),
            parts[0..<2].allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else { return false }
        return parts[3...].allSatisfy { b in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".")
        }
    }
}
