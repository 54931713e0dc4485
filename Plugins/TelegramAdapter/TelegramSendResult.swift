import Foundation
import SwitchboardAdapterAPI

/// A `sendMessage` answer saying the chat moved (group → supergroup): retried once at the new id.
struct TelegramMigration: Error {
    var newChatID: Int64
}

/// Reads a Bot API answer: `{"ok":true,"result":{…}}` or `{"ok":false,"error_code":…,"description":…,"parameters":{…}}`.
enum TelegramSendResult {
    static func interpret(_ response: HTTPResponse, chat: String, redact: (String) -> String) throws -> DeliveryReceipt {
        let document = try? JSONValue.parse(response.body)
        let ok = document?["ok"]?.boolValue
        if (200..<300).contains(response.status), ok != false {
            let result = document?["result"]
            let externalID = result?["message_id"]?.int64Value.map { messageID in
                TelegramUpdateDecoder.externalID(chat: result?["chat"]?["id"]?.int64Value ?? Int64(chat) ?? 0, message: messageID)
            }
            // Telegram accepted it for the chat; it reports no per-message delivery later.
            return DeliveryReceipt(externalID: externalID, state: .delivered)
        }
        let code = document?["error_code"]?.int64Value.map(Int.init) ?? response.status
        let parameters = document?["parameters"]
        if let newChat = parameters?["migrate_to_chat_id"]?.int64Value {
            throw TelegramMigration(newChatID: newChat)
        }
        let description = document?["description"]?.nonEmptyText ?? String(response.bodyText.prefix(200))
        let reason = redact("Telegram answered \(code)\(description.isEmpty ? "" : ": \(description)")")
        switch code {
        case 429:
            let wait = parameters?["retry_after"]?.int64Value ?? response.header("Retry-After").flatMap { Int64($0.trimmed) }
            throw DeliveryFailure(reason, permanent: false, retryAfter: wait.map { .seconds($0) })
        case 408, 425, 500...:
            throw DeliveryFailure(reason, permanent: false)
        default:
            // 400 (bad chat, text too long), 401/404 (bad token), 403 (blocked, kicked): sending
            // the same request again gives the same answer.
            throw DeliveryFailure(reason, permanent: true)
        }
    }
}
