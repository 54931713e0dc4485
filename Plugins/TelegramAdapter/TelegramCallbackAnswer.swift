import Foundation
import SwitchboardAdapterAPI

extension TelegramAdapter: AfterStoredAdapter {
    /// Answers each stored button press (`answerCallbackQuery`, no text): until a bot answers, the
    /// user's client shows a spinner on the button, until Telegram gives up on it. Sent once the
    /// press is durably stored (a press answered but lost would look handled to the user), so a
    /// failed answer loses nothing: it is only logged.
    public func afterStored(_ events: [InboundEvent]) async throws {
        for case .message(let message) in events where message.metadata["telegram_update"] == "callback_query" {
            guard message.externalID.hasPrefix(Self.callbackPrefix) else { continue }
            try await answerCallback(String(message.externalID.dropFirst(Self.callbackPrefix.count)))
        }
    }

    /// A button press's external id is this followed by the callback query's id (see ``TelegramUpdateDecoder``).
    static let callbackPrefix = "callback:"

    private func answerCallback(_ id: String) async throws {
        let request = HTTPRequest(
            method: "POST", url: "\(settings.apiBase)/bot\(settings.botToken)/answerCallbackQuery",
            headers: [("Content-Type", "application/json")], body: Array(try JSONEncoder().encode(["callback_query_id": id])),
            timeout: settings.timeout)
        let response = try await transport.sendForDelivery(
            request, reaching: "the Telegram Bot API at \(settings.apiBase)", redact: redacted)
        let answer = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status), answer?["ok"]?.boolValue == true else {
            let description = answer?["description"]?.nonEmptyText ?? String(response.bodyText.prefix(200))
            throw DeliveryFailure(redacted("answerCallbackQuery \(id): Telegram answered \(response.status): \(description)"), permanent: true)
        }
    }
}
