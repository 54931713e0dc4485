import Foundation
import SwitchboardAdapterAPI

/// A Telegram bot (`type: telegram`): Bot API webhook updates in, `sendMessage` out.
///
/// Inbound requests must carry `X-Telegram-Bot-Api-Secret-Token` equal to the configured secret
/// (Telegram has no body signature). Replies go to the chat the customer wrote in, quoting the
/// message they answer.
public struct TelegramAdapter: ChannelAdapter {
    /// The header carrying the `secret_token` given to `setWebhook`.
    public static let secretHeader = "X-Telegram-Bot-Api-Secret-Token"

    /// The configured id; the hook is `/hooks/{id}`.
    public let id: String
    /// What the configuration said.
    public let settings: TelegramSettings
    let transport: any HTTPTransport

    /// An adapter sending through `transport` (the gateway's libcurl transport in production).
    public init(id: String, settings: TelegramSettings, transport: any HTTPTransport) {
        self.id = id
        self.settings = settings
        self.transport = transport
    }

    /// Files are fetched through `getFile` with the bot's token.
    public var mediaFetcher: (any MediaFetcher)? { TelegramMedia(settings: settings, transport: transport) }

    /// Bot API limits: 4096 characters per message, about 30 messages a second overall and one
    /// a second per chat. A bot cannot write to someone who never started it.
    public var capabilities: AdapterCapabilities {
        AdapterCapabilities(
            maxTextLength: 4096, ratePerSecond: 30, ratePerRecipientPerSecond: 1, canInitiate: false, attachments: TelegramFile.limits)
    }

    /// Checks the secret token, then decodes the `Update` (see ``TelegramUpdateDecoder``).
    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        guard request.method == "POST" else {
            throw InboundError.methodNotAllowed("Telegram posts updates; this hook has no GET handshake")
        }
        // Not trimmed: Telegram sends the token exactly as set, and a near-miss is still wrong.
        guard let given = request.header(Self.secretHeader) else {
            throw InboundError.unauthorized("missing \(Self.secretHeader) header")
        }
        guard Signatures.constantTimeEquals(given, settings.secretToken) else {
            throw InboundError.unauthorized("\(Self.secretHeader) does not match the configured secret token")
        }
        return .events(try TelegramUpdateDecoder.decode(try JSONValue.parse(request.body)))
    }

    /// Sends the reply with `sendMessage` to the customer's chat, quoting the message it answers.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        let chat = message.threadRef ?? message.to
        if let file = message.attachments.first { return try await deliverFile(file, message: message, chat: chat) }
        do {
            return try await post(TelegramSendMessage(chat: chat, text: message.text, inReplyTo: message.inReplyTo))
        } catch let moved as TelegramMigration {
            // A group upgraded to a supergroup has a new id; its old message ids do not carry over.
            do {
                return try await post(TelegramSendMessage(chat: String(moved.newChatID), text: message.text, inReplyTo: nil))
            } catch is TelegramMigration {
                throw DeliveryFailure("Telegram moved chat \(chat) twice in one delivery", permanent: true)
            }
        }
    }

    private func post(_ send: TelegramSendMessage) async throws -> DeliveryReceipt {
        let request = HTTPRequest(
            method: "POST", url: "\(settings.apiBase)/bot\(settings.botToken)/sendMessage",
            headers: [("Content-Type", "application/json")], body: try send.encoded(), timeout: settings.timeout)
        // The URL holds the bot token: transport messages may quote it, so it is cut out
        // before the reason reaches logs and agents.
        let response = try await transport.sendForDelivery(
            request, reaching: "the Telegram Bot API at \(settings.apiBase)", redact: redacted)
        return try TelegramSendResult.interpret(response, chat: send.chatText, redact: redacted)
    }

    /// Sends the file with the method for its kind (`sendPhoto`, `sendVoice`, `sendDocument` …) as a
    /// multipart upload, the text as its caption; a retry after Telegram took the file sends its
    /// `file_id` instead of the bytes.
    private func deliverFile(_ file: OutboundAttachment, message: OutboundMessage, chat: String) async throws -> DeliveryReceipt {
        let method = TelegramFile.method(for: file)
        let quote = TelegramSendMessage(chat: chat, text: message.text, inReplyTo: message.inReplyTo)
        var form = MultipartBody()
        form.field("chat_id", chat)
        if !message.text.isEmpty { form.field("caption", message.text) }
        if let parameters = quote.reply_parameters {
            form.field("reply_parameters", "{\"message_id\":\(parameters.message_id),\"allow_sending_without_reply\":true}")
        }
        if let known = file.platformMediaID {
            form.field(method.field, known)
        } else {
            form.file(method.field, fileName: file.fileName, mimeType: file.mimeType, content: file.content)
        }
        let request = HTTPRequest(
            method: "POST", url: "\(settings.apiBase)/bot\(settings.botToken)/\(method.name)",
            headers: [("Content-Type", form.contentType)], body: form.body, timeout: max(settings.timeout, .seconds(120)))
        let response = try await transport.sendForDelivery(
            request, reaching: "the Telegram Bot API at \(settings.apiBase)", redact: redacted)
        let receipt = try TelegramSendResult.interpret(response, chat: chat, redact: redacted)
        if file.platformMediaID == nil, let id = TelegramFile.fileID(in: response.body, field: method.field) {
            await message.rememberMedia(file.index, id)
        }
        return receipt
    }

    /// `text` with the bot token replaced.
    func redacted(_ text: String) -> String {
        guard !settings.botToken.isEmpty else { return text }
        return text.replacingOccurrences(of: settings.botToken, with: "<bot-token>")
    }
}
