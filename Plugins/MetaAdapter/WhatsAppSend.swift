import SwitchboardAdapterAPI

extension WhatsAppAdapter {
    /// Sends a text reply. The answer's `messages[0].id` (a wamid) is the receipt's id, so later
    /// status webhooks find the reply; the state is `sent` until WhatsApp reports delivery.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        // The core keeps phone identities in E.164; the Cloud API wants the digits alone.
        let digits = String(message.to.filter(\.isASCIIDigit))
        guard !digits.isEmpty else {
            throw DeliveryFailure("'\(message.to)' is not a phone number WhatsApp can send to", permanent: true)
        }
        let payload = WhatsAppTextMessage(
            to: digits, text: .init(body: message.text), context: message.quoted ? message.inReplyTo.map { .init(message_id: $0) } : nil)
        let answer = try await graph.post(settings.graph.messagesURL(node: settings.phoneNumberID), json: try MetaGraphClient.encode(payload))
        let wamid = answer.field("messages")?.items.first?.string("id")
        return DeliveryReceipt(externalID: wamid, state: .sent)
    }
}

/// The body of a text message to the Cloud API:
/// `{"messaging_product":"whatsapp","recipient_type":"individual","to","type":"text","text":{"body"},"context":{"message_id"}}`.
struct WhatsAppTextMessage: Encodable {
    struct Text: Encodable { var body: String }
    /// Quotes the customer's message in WhatsApp, so the answer is visibly attached to it.
    struct Context: Encodable { var message_id: String }

    var messaging_product = "whatsapp"
    var recipient_type = "individual"
    var to: String
    var type = "text"
    var text: Text
    var context: Context?

    init(to: String, text: Text, context: Context?) {
        self.to = to
        self.text = text
        self.context = context
    }
}
