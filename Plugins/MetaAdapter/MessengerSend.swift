import SwitchboardAdapterAPI

extension MessengerAdapter {
    /// Sends a text reply to the PSID/IGSID. The answer's `message_id` is the receipt's id, so
    /// later delivery webhooks find the reply. `inReplyTo` is not sent: the Send API's text
    /// messages have no quoting field.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard !message.to.isEmpty else { throw DeliveryFailure("the reply has no recipient id", permanent: true) }
        let url = settings.graph.messagesURL(node: settings.pageID)
        var receipt: DeliveryReceipt?
        // The Send API carries text or one attachment per message: the text goes first.
        if !message.text.isEmpty {
            let payload = MessengerTextMessage(recipient: .init(id: message.to), message: .init(text: message.text))
            let answer = try await graph.post(url, json: try MetaGraphClient.encode(payload))
            receipt = DeliveryReceipt(externalID: answer.string("message_id"), state: .sent)
        }
        for file in message.attachments {
            let payload = MessengerAttachmentMessage(
                recipient: .init(id: message.to), type: Self.attachmentType(file.kind), payload: try await attachmentPayload(file, message))
            let answer = try await graph.post(url, json: try MetaGraphClient.encode(payload))
            receipt = DeliveryReceipt(externalID: answer.string("message_id"), state: .sent)
        }
        return receipt ?? DeliveryReceipt(state: .sent)
    }

    /// Messenger: the file goes to the Attachment Upload API once (its `attachment_id` is kept with
    /// the reply, so a retry sends it by id). Instagram takes media by URL: the gateway's signed link.
    func attachmentPayload(_ file: OutboundAttachment, _ message: OutboundMessage) async throws -> MessengerAttachmentMessage.Payload {
        if let known = file.platformMediaID { return .init(attachment_id: known) }
        if settings.platform == .instagram {
            guard let link = file.link else {
                throw DeliveryFailure("Instagram fetches files by URL: set the gateway's server.public_url", permanent: true)
            }
            return .init(url: link)
        }
        var form = MultipartBody()
        let description = #"{"attachment":{"type":"\#(Self.attachmentType(file.kind))","payload":{"is_reusable":true}}}"#
        form.field("message", description)
        form.file("filedata", fileName: file.fileName, mimeType: file.mimeType, content: file.content)
        let answer = try await graph.upload(
            "\(settings.graph.apiBase)/\(settings.graph.apiVersion)/\(settings.pageID)/message_attachments", form: form)
        guard let id = answer.string("attachment_id"), !id.isEmpty else {
            throw DeliveryFailure("Messenger took the file but answered no attachment id")
        }
        await message.rememberMedia(file.index, id)
        return .init(attachment_id: id)
    }

    /// The Send API's word for a kind of file.
    static func attachmentType(_ kind: String) -> String {
        ["image", "audio", "video"].contains(kind) ? kind : "file"
    }
}

/// `{"recipient":{"id"},"messaging_type":"RESPONSE","message":{"attachment":{"type","payload":{…}}}}`.
struct MessengerAttachmentMessage: Encodable {
    struct Payload: Encodable {
        var attachment_id: String?
        var url: String?
    }
    struct Attachment: Encodable {
        var type: String
        var payload: Payload
    }
    struct Message: Encodable { var attachment: Attachment }

    var recipient: MessengerTextMessage.Recipient
    var messaging_type = "RESPONSE"
    var message: Message

    init(recipient: MessengerTextMessage.Recipient, type: String, payload: Payload) {
        self.recipient = recipient
        message = Message(attachment: Attachment(type: type, payload: payload))
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
