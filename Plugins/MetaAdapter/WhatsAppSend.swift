import SwitchboardAdapterAPI

extension WhatsAppAdapter {
    /// Sends a text reply. The answer's `messages[0].id` (a wamid) is the receipt's id, so later
    /// status webhooks find the reply; the state is `sent` until WhatsApp reports delivery.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard let recipient = WhatsAppRecipient(message.to) else {
            throw DeliveryFailure("'\(message.to)' is neither a phone number nor a WhatsApp user id (BSUID) WhatsApp can send to", permanent: true)
        }
        let payload = WhatsAppTextMessage(
            recipient: recipient, text: .init(body: message.text),
            context: message.quoted ? message.inReplyTo.map { .init(message_id: $0) } : nil)
        let answer = try await graph.post(settings.graph.messagesURL(node: settings.phoneNumberID), json: try MetaGraphClient.encode(payload))
        let wamid = answer.field("messages")?.items.first?.string("id")
        return DeliveryReceipt(externalID: wamid, state: .sent)
    }
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

/// The body of a text message to the Cloud API:
/// `{"messaging_product":"whatsapp","recipient_type":"individual","to"|"recipient","type":"text","text":{"body"},"context":{"message_id"}}`.
struct WhatsAppTextMessage: Encodable {
    struct Text: Encodable { var body: String }
    /// Quotes the customer's message in WhatsApp, so the answer is visibly attached to it.
    struct Context: Encodable { var message_id: String }

    var messaging_product = "whatsapp"
    var recipient_type = "individual"
    /// The phone number's digits; absent when the customer is known by user id only.
    var to: String?
    /// The business-scoped user id, for a customer without a known phone number.
    var recipient: String?
    var type = "text"
    var text: Text
    var context: Context?

    init(recipient: WhatsAppRecipient, text: Text, context: Context?) {
        switch recipient {
        case .phone(let digits): to = digits
        case .userID(let id): self.recipient = id
        }
        self.text = text
        self.context = context
    }
}
