import SwitchboardAdapterAPI

extension MessengerAdapter {
    /// Sends a text reply to the PSID/IGSID. The answer's `message_id` is the receipt's id, so
    /// later delivery webhooks find the reply. `inReplyTo` is not sent: the Send API's text
    /// messages have no quoting field.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard !message.to.isEmpty else { throw DeliveryFailure("the reply has no recipient id", permanent: true) }
        let payload = MessengerTextMessage(recipient: .init(id: message.to), message: .init(text: message.text))
        let answer = try await graph.post(settings.graph.messagesURL(node: settings.pageID), json: try MetaGraphClient.encode(payload))
        return DeliveryReceipt(externalID: answer.string("message_id"), state: .sent)
    }
}

/// The Send API body: `{"recipient":{"id"},"messaging_type":"RESPONSE","message":{"text"}}`.
/// `RESPONSE` is the standard-messaging type for answers within the 24-hour window.
struct MessengerTextMessage: Encodable {
    struct Recipient: Encodable { var id: String }
    struct Message: Encodable { var text: String }

    var recipient: Recipient
    var messaging_type = "RESPONSE"
    var message: Message

    init(recipient: Recipient, message: Message) {
        self.recipient = recipient
        self.message = message
    }
}
