import Foundation
import SwitchboardAdapterAPI

/// Turns one Bot API `Update` into events. A pure function of the document, so it is tested on
/// the corpus files directly.
///
/// What is recorded and why (what is not is an `.ignored` event with its reason, so the hook's
/// answer and the metrics say so):
/// - `message`: a customer contact, from `from.id`, threaded on `chat.id` (groups included).
/// - `edited_message`: an edit of the message with the same `"<chat.id>:<message_id>"`.
/// - `channel_post` / `edited_channel_post`: `channel_post`. A channel is a broadcast written by
///   its admins — in practice the business itself — so its posts are not customer contacts, and
///   answering them would publish into the channel.
/// - Service messages (members joining, pins, title changes …): `service_message`; messages from
///   bots: `bot_message`. Nobody is waiting for an answer, and answering bots invites loops.
/// - `callback_query` (a button of ours pressed) and `message_reaction` (an emoji put on a message):
///   the customer's activity, recorded in their thread (kind `activity`: no clock starts, nothing
///   reopens), `reply_to` naming the message it concerns, so a reaction shows on our reply.
/// - Every other update kind (`my_chat_member`, anonymous reaction counts, business and payment
///   updates …): `unsupported_event`, with a 2xx, so Telegram does not retry what this adapter
///   does not use.
public enum TelegramUpdateDecoder {
    /// The events of one `Update`. Throws `.malformed` for documents that are not Updates.
    public static func decode(_ update: JSONValue) throws(InboundError) -> [InboundEvent] {
        guard update.objectValue != nil else { throw .malformed("a Telegram Update is a JSON object") }
        guard update["update_id"]?.exactInteger != nil else {
            throw .malformed("not a Telegram Update: 'update_id' is missing (or not a whole number)")
        }
        if let message = update["message"] {
            return [try decodeMessage(message, kind: "message").map(InboundEvent.message) ?? .ignored(reason: skipReason(message))]
        }
        if let edited = update["edited_message"] {
            guard let message = try decodeMessage(edited, kind: "edited_message") else { return [.ignored(reason: skipReason(edited))] }
            let editedAt = edited["edit_date"]?.exactInteger.map { Date(timeIntervalSince1970: TimeInterval($0)) }
            return [.edit(message, editedAt: editedAt)]
        }
        if update["channel_post"] != nil || update["edited_channel_post"] != nil { return [.ignored(reason: .channelPost)] }
        if let query = update["callback_query"] {
            return [decodeCallback(query, update: update).map(InboundEvent.message) ?? .ignored(reason: .unsupportedEvent)]
        }
        if let reaction = update["message_reaction"] {
            return [decodeReaction(reaction, update: update).map(InboundEvent.message) ?? .ignored(reason: .unsupportedEvent)]
        }
        return [.ignored(reason: .unsupportedEvent)]
    }

    /// A button of an inline keyboard pressed: `data` is what the button carries. Nil for a press
    /// on a message sent via inline mode (no chat) or by a bot.
    static func decodeCallback(_ query: JSONValue, update: JSONValue) -> InboundMessage? {
        guard let id = query["id"]?.nonEmptyText, let user = query["from"], let userID = user["id"]?.exactInteger,
            user["is_bot"]?.boolValue != true, let message = query["message"], let chatID = message["chat"]?["id"]?.exactInteger
        else { return nil }
        let data = query["data"]?.nonEmptyText ?? query["game_short_name"]?.nonEmptyText
        var metadata: [String: String] = ["telegram_update": "callback_query"]
        metadata["username"] = user["username"]?.nonEmptyText
        if let target = message["message_id"]?.exactInteger { metadata["reply_to"] = externalID(chat: chatID, message: target) }
        var details: [String: String] = [:]
        details["data"] = data
        return InboundMessage(
            externalID: "callback:\(id)", from: ChannelIdentity(channel: "telegram", address: String(userID)),
            customerName: displayName(user), text: data.map { "[button pressed: \($0)]" } ?? "[button pressed]",
            sentAt: nil, threadRef: String(chatID), metadata: metadata,
            attachments: [Attachment(kind: "button", details: details.isEmpty ? nil : details)], kind: .activity)
    }

    /// A customer's reaction to a message (ours included): the emoji now on it, or none when taken back.
    static func decodeReaction(_ reaction: JSONValue, update: JSONValue) -> InboundMessage? {
        guard let chatID = reaction["chat"]?["id"]?.exactInteger, let target = reaction["message_id"]?.exactInteger,
            let user = reaction["user"], let userID = user["id"]?.exactInteger, user["is_bot"]?.boolValue != true
        else { return nil }
        let emojis = (reaction["new_reaction"]?.arrayValue ?? []).compactMap { item -> String? in
            item["emoji"]?.nonEmptyText ?? (item["type"]?.nonEmptyText == "custom_emoji" ? "custom emoji" : nil)
        }
        let reacted = emojis.joined(separator: " ")
        var metadata: [String: String] = ["telegram_update": "message_reaction"]
        metadata["reply_to"] = externalID(chat: chatID, message: target)
        metadata["username"] = user["username"]?.nonEmptyText
        var details = ["message_id": externalID(chat: chatID, message: target)]
        if !reacted.isEmpty { details["emoji"] = reacted }
        let updateID = update["update_id"]?.exactInteger ?? 0
        return InboundMessage(
            externalID: "reaction:\(chatID):\(target):\(userID):\(updateID)",
            from: ChannelIdentity(channel: "telegram", address: String(userID)), customerName: displayName(user),
            text: reacted.isEmpty ? "[reaction removed]" : "[reaction \(reacted)]",
            sentAt: reaction["date"]?.exactInteger.map { Date(timeIntervalSince1970: TimeInterval($0)) }, threadRef: String(chatID),
            metadata: metadata, attachments: [Attachment(kind: "reaction", details: details)], kind: .activity)
    }

    /// Why ``decodeMessage(_:kind:)`` recorded nothing for `message`.
    static func skipReason(_ message: JSONValue) -> IgnoreReason {
        message["from"]?["is_bot"]?.boolValue == true ? .botMessage : .serviceMessage
    }

    /// The external id of a message: `message_id` is unique only within its chat.
    public static func externalID(chat: Int64, message: Int64) -> String { "\(chat):\(message)" }

    /// Nil when the message is deliberately not recorded (service message, bot author).
    static func decodeMessage(_ message: JSONValue, kind: String) throws(InboundError) -> InboundMessage? {
        guard message.objectValue != nil else { throw .malformed("'\(kind)' is not an object") }
        // Ids as Telegram writes them: whole numbers (a string or a fraction is no id of Telegram's).
        guard let chat = message["chat"], let chatID = chat["id"]?.exactInteger else {
            throw .malformed("'\(kind).chat.id' is missing (or not a whole number)")
        }
        guard let messageID = message["message_id"]?.exactInteger else {
            throw .malformed("'\(kind).message_id' is missing (or not a whole number)")
        }
        if message["from"]?["is_bot"]?.boolValue == true { return nil }

        let text = message["text"]?.text ?? message["caption"]?.text ?? ""
        var attachments = TelegramContent.attachments(of: message)
        if text.isEmpty && attachments.isEmpty {
            if TelegramContent.isServiceMessage(message) { return nil }
            // Content this adapter does not know yet is kept as what it is, never dropped.
            attachments = TelegramContent.unknownContent(of: message)
        }

        // Anonymous group admins and channels speaking in groups have no `from`: the sending chat
        // is then the best address there is.
        let sender = message["from"] ?? message["sender_chat"] ?? chat
        guard let senderID = sender["id"]?.exactInteger else { throw .malformed("'\(kind).from.id' is missing (or not a whole number)") }

        var metadata: [String: String] = [:]
        metadata["chat_type"] = chat["type"]?.nonEmptyText
        metadata["chat_title"] = chat["title"]?.nonEmptyText
        metadata["username"] = sender["username"]?.nonEmptyText
        metadata["topic"] = message["message_thread_id"]?.nonEmptyText
        if let replied = message["reply_to_message"]?["message_id"]?.exactInteger {
            metadata["reply_to"] = externalID(chat: chatID, message: replied)
        }
        if message["forward_origin"] != nil || message["forward_from"] != nil || message["forward_date"] != nil {
            metadata["forwarded"] = "true"
        }

        return InboundMessage(
            externalID: externalID(chat: chatID, message: messageID),
            from: ChannelIdentity(channel: "telegram", address: String(senderID)),
            customerName: displayName(sender),
            text: text,
            sentAt: message["date"]?.exactInteger.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            threadRef: String(chatID),
            metadata: metadata,
            attachments: attachments)
    }

    /// "First Last", else "@username", else a chat's title.
    static func displayName(_ sender: JSONValue) -> String? {
        let parts = [sender["first_name"]?.nonEmptyText, sender["last_name"]?.nonEmptyText].compactMap { $0 }
        if !parts.isEmpty { return parts.joined(separator: " ") }
        if let username = sender["username"]?.nonEmptyText { return "@" + username }
        return sender["title"]?.nonEmptyText
    }
}
