import SwitchboardAdapterAPI

/// Maps a Telegram message's non-text content to attachments. Files are referred to by `file_id`
/// (fetched later through `getFile` with the bot's token), so no URL is stored.
enum TelegramContent {
    static func attachments(of message: JSONValue) -> [Attachment] {
        var found: [Attachment] = []
        if let sizes = message["photo"]?.arrayValue, let photo = largest(sizes) {
            // The Bot API re-encodes every photo as JPEG; the sizes are thumbnails of one image.
            found.append(file(photo, kind: "image", mimeType: "image/jpeg", details: dimensions(photo)))
        }
        if let animation = message["animation"] {
            found.append(file(animation, kind: "video", details: ["animation": "true"].merging(duration(animation)) { a, _ in a }))
        } else if let document = message["document"] {
            // An animation is also sent as `document` for old clients; it is the same file.
            found.append(file(document, kind: "document"))
        }
        if let video = message["video"] { found.append(file(video, kind: "video", details: duration(video))) }
        if let note = message["video_note"] {
            found.append(file(note, kind: "video", mimeType: "video/mp4", details: ["video_note": "true"].merging(duration(note)) { a, _ in a }))
        }
        if let audio = message["audio"] {
            var details = duration(audio)
            details["title"] = audio["title"]?.nonEmptyText
            details["performer"] = audio["performer"]?.nonEmptyText
            found.append(file(audio, kind: "audio", details: details))
        }
        if let voice = message["voice"] {
            // A voice note, as on WhatsApp.
            found.append(file(voice, kind: "voice", mimeType: "audio/ogg", details: duration(voice)))
        }
        if let sticker = message["sticker"] {
            var details: [String: String] = [:]
            details["emoji"] = sticker["emoji"]?.nonEmptyText
            details["set_name"] = sticker["set_name"]?.nonEmptyText
            let mime =
                sticker["is_animated"]?.boolValue == true
                ? "application/x-tgsticker"
                : sticker["is_video"]?.boolValue == true ? "video/webm" : "image/webp"
            found.append(file(sticker, kind: "sticker", mimeType: mime, details: details))
        }
        if let venue = message["venue"] {
            // A venue carries its own `location`; the message's copy is the same point.
            var details = coordinates(venue["location"])
            details["title"] = venue["title"]?.nonEmptyText
            details["address"] = venue["address"]?.nonEmptyText
            found.append(Attachment(kind: "location", details: details))
        } else if let location = message["location"] {
            var details = coordinates(location)
            details["live_period"] = location["live_period"]?.nonEmptyText
            details["accuracy_m"] = location["horizontal_accuracy"]?.nonEmptyText
            found.append(Attachment(kind: "location", details: details))
        }
        if let contact = message["contact"] {
            var details: [String: String] = [:]
            details["phone_number"] = contact["phone_number"]?.nonEmptyText
            details["name"] = TelegramUpdateDecoder.displayName(contact)
            details["user_id"] = contact["user_id"]?.nonEmptyText
            details["vcard"] = contact["vcard"]?.nonEmptyText
            found.append(Attachment(kind: "contact", details: details))
        }
        if let poll = message["poll"] {
            var details: [String: String] = [:]
            details["question"] = poll["question"]?.nonEmptyText
            let options = poll["options"]?.arrayValue?.compactMap { $0["text"]?.nonEmptyText } ?? []
            if !options.isEmpty { details["options"] = options.joined(separator: " | ") }
            found.append(Attachment(kind: "poll", details: details))
        }
        if let dice = message["dice"] {
            var details: [String: String] = [:]
            details["emoji"] = dice["emoji"]?.nonEmptyText
            details["value"] = dice["value"]?.nonEmptyText
            found.append(Attachment(kind: "dice", details: details))
        }
        return found
    }

    /// Keys of a message that describe it rather than hold content: they are not content this
    /// adapter failed to understand.
    private static let envelopeKeys: Set<String> = [
        "message_id", "message_thread_id", "from", "sender_chat", "sender_boost_count", "sender_business_bot",
        "date", "business_connection_id", "chat", "forward_origin", "forward_from", "forward_from_chat",
        "forward_from_message_id", "forward_signature", "forward_sender_name", "forward_date", "is_topic_message",
        "is_automatic_forward", "reply_to_message", "external_reply", "quote", "reply_to_story", "via_bot",
        "edit_date", "has_protected_content", "is_from_offline", "media_group_id", "author_signature", "text",
        "entities", "link_preview_options", "effect_id", "caption", "caption_entities", "show_caption_above_media",
        "has_media_spoiler", "reply_markup", "paid_star_count", "is_paid_post",
        // Zammad's fixtures inject these from its webhook URL; they are not Telegram's.
        "bid", "callback_token",
    ]

    /// Keys of service messages: things that happened in a chat, not something a customer said.
    private static let serviceKeys: Set<String> = [
        "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo", "delete_chat_photo",
        "group_chat_created", "supergroup_chat_created", "channel_chat_created", "message_auto_delete_timer_changed",
        "migrate_to_chat_id", "migrate_from_chat_id", "pinned_message", "users_shared", "chat_shared",
        "connected_website", "write_access_allowed", "proximity_alert_triggered", "boost_added", "chat_background_set",
        "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
        "general_forum_topic_hidden", "general_forum_topic_unhidden", "giveaway_created", "giveaway_completed",
        "video_chat_scheduled", "video_chat_started", "video_chat_ended", "video_chat_participants_invited",
        "web_app_data", "refunded_payment", "gift", "unique_gift", "paid_message_price_changed",
        "direct_message_price_changed", "checklist_tasks_done", "checklist_tasks_added",
    ]

    static func isServiceMessage(_ message: JSONValue) -> Bool {
        message.objectValue?.keys.contains(where: serviceKeys.contains) ?? false
    }

    /// Content of a kind this adapter does not map (a game, an invoice, a story …), kept under
    /// Telegram's own name so the agent sees that something arrived.
    static func unknownContent(of message: JSONValue) -> [Attachment] {
        guard let members = message.objectValue else { return [] }
        return members.keys.sorted().filter { !envelopeKeys.contains($0) }.map { key in
            Attachment(kind: key, platformID: members[key]?["file_id"]?.nonEmptyText)
        }
    }

    private static func file(
        _ item: JSONValue, kind: String, mimeType: String? = nil, details: [String: String] = [:]
    ) -> Attachment {
        Attachment(
            kind: kind, mimeType: item["mime_type"]?.nonEmptyText ?? mimeType, fileName: item["file_name"]?.nonEmptyText,
            size: item["file_size"]?.int64Value.map { Int($0) }, platformID: item["file_id"]?.nonEmptyText,
            details: details.isEmpty ? nil : details)
    }

    /// The biggest rendition: by file size, then by pixel count; Telegram lists them ascending.
    private static func largest(_ sizes: [JSONValue]) -> JSONValue? {
        sizes.enumerated().max { a, b in
            let ka = (a.element["file_size"]?.int64Value ?? 0, pixels(a.element), a.offset)
            let kb = (b.element["file_size"]?.int64Value ?? 0, pixels(b.element), b.offset)
            return ka < kb
        }?.element
    }

    /// Width × height, for ranking only: a payload's own numbers, so a negative side counts as 0 and a
    /// product past `Int64.max` as `Int64.max` (an overflow trapped and stopped the gateway).
    private static func pixels(_ size: JSONValue) -> Int64 {
        let width = max(0, size["width"]?.int64Value ?? 0)
        let height = max(0, size["height"]?.int64Value ?? 0)
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? .max : product
    }

    private static func dimensions(_ item: JSONValue) -> [String: String] {
        var details: [String: String] = [:]
        details["width"] = item["width"]?.nonEmptyText
        details["height"] = item["height"]?.nonEmptyText
        return details
    }

    private static func duration(_ item: JSONValue) -> [String: String] {
        item["duration"]?.nonEmptyText.map { ["duration_s": $0] } ?? [:]
    }

    private static func coordinates(_ location: JSONValue?) -> [String: String] {
        var details: [String: String] = [:]
        details["latitude"] = location?["latitude"]?.nonEmptyText
        details["longitude"] = location?["longitude"]?.nonEmptyText
        return details
    }
}
