import SwitchboardAdapterAPI

/// What one WhatsApp message carries, turned into text an agent can read plus attachments. Every
/// type becomes something: media, locations, contact cards, reactions, button and list replies,
/// orders, system notices, unsupported messages and types WhatsApp adds later.
struct WhatsAppContent {
    var text: String
    var attachments: [Attachment] = []
    var metadata: [String: String] = [:]

    /// Types whose object is a media item (`id`, `mime_type`, `sha256`, optional `caption`,
    /// `filename`, `url`), fetched later through `GET /{media-id}`.
    static let mediaTypes: Set<String> = ["image", "video", "audio", "voice", "document", "sticker"]

    /// Decodes the content of `message` of the given `type`. `error` is the platform's word on a
    /// message it could not deliver to us in full, shown instead of the missing content.
    static func decode(_ message: JSONValue, type: String, error: String?) -> WhatsAppContent {
        let body = message.field(type) ?? .null
        switch type {
        case "text":
            return WhatsAppContent(text: body.field("body")?.text ?? "")
        case _ where mediaTypes.contains(type):
            return media(body, type: type)
        case "location":
            return location(body)
        case "contacts":
            return contacts(message.field("contacts")?.items ?? [])
        case "reaction":
            return reaction(body)
        case "interactive":
            return interactive(body, error: error)
        case "button":
            // A tap on a quick-reply button of a template message.
            let text = body.string("text") ?? body.string("payload") ?? "[button]"
            return WhatsAppContent(text: text, attachments: [Attachment(kind: "button", details: body.scalarFields.nilIfEmpty)])
        case "order":
            return order(body)
        case "system":
            // e.g. the customer changed their number: the notice is worth keeping in the thread.
            let text = body.string("body") ?? "[system notice]"
            return WhatsAppContent(text: text, attachments: [Attachment(kind: "system", details: body.scalarFields.nilIfEmpty)])
        case "unsupported":
            let what = body.string("type")
            var text = what.map { "[unsupported message type '\($0)']" } ?? "[unsupported message]"
            if let error { text += " (\(error))" }
            var details = what.map { ["type": $0] } ?? [:]
            details["error"] = error
            return WhatsAppContent(text: text, attachments: [Attachment(kind: "unsupported", details: details.nilIfEmpty)])
        default:
            // A type this adapter does not know yet: keep what it says.
            var details = body.scalarFields
            details["error"] = error
            var text = body.string("body") ?? body.string("text") ?? body.string("caption") ?? "[\(type) message]"
            if let error, body.string("body") == nil { text += " (\(error))" }
            return WhatsAppContent(
                text: text,
                attachments: [Attachment(kind: type, mimeType: body.string("mime_type"), platformID: body.string("id"), details: details.nilIfEmpty)])
        }
    }

    private static func media(_ body: JSONValue, type: String) -> WhatsAppContent {
        // Voice notes arrive as `audio` with `voice: true`.
        let kind = type == "audio" && body.flag("voice") ? "voice" : type
        var details: [String: String] = [:]
        details["sha256"] = body.string("sha256")
        if body.flag("animated") { details["animated"] = "true" }
        let fileName = body.string("filename")
        let caption = body.string("caption")
        if let caption { details["caption"] = caption }
        let attachment = Attachment(
            kind: kind, mimeType: body.string("mime_type"), fileName: fileName, url: body.string("url"),
            platformID: body.string("id"), details: details.nilIfEmpty)
        // Without a caption the core gives the message its placeholder ("[photo]", "[voice message]").
        return WhatsAppContent(text: caption ?? "", attachments: [attachment])
    }

    private static func location(_ body: JSONValue) -> WhatsAppContent {
        var details: [String: String] = [:]
        for key in ["latitude", "longitude", "name", "address", "url"] { details[key] = body.string(key) }
        // The core gives it its placeholder ("[location: Facebook HQ (37.46, -122.22)]"), as on every adapter.
        return WhatsAppContent(
            text: "", attachments: [Attachment(kind: "location", url: body.string("url"), details: details.nilIfEmpty)])
    }

    private static func contacts(_ cards: [JSONValue]) -> WhatsAppContent {
        var attachments: [Attachment] = []
        for card in cards {
            let name = card.field("name")
            let fullName =
                name?.string("formatted_name")
                ?? [name?.string("first_name"), name?.string("last_name")].compactMap { $0 }.joined(separator: " ").nilIfEmpty
            let phones = (card.field("phones")?.items ?? []).compactMap { $0.string("phone") ?? $0.string("wa_id") }
            let emails = (card.field("emails")?.items ?? []).compactMap { $0.string("email") }
            var details: [String: String] = [:]
            details["name"] = fullName
            details["phones"] = phones.joined(separator: ", ").nilIfEmpty
            details["emails"] = emails.joined(separator: ", ").nilIfEmpty
            details["wa_id"] = (card.field("phones")?.items ?? []).lazy.compactMap { $0.string("wa_id") }.first
            details["organization"] = card.field("org")?.string("company")
            attachments.append(Attachment(kind: "contact", details: details.nilIfEmpty))
        }
        // The core gives it its placeholder ("[contact: Name]"), as on every adapter.
        return WhatsAppContent(text: attachments.isEmpty ? "[contact card]" : "", attachments: attachments)
    }

    private static func reaction(_ body: JSONValue) -> WhatsAppContent {
        let emoji = body.string("emoji")
        let target = body.string("message_id")
        var details: [String: String] = [:]
        details["emoji"] = emoji
        details["message_id"] = target
        // An empty or missing emoji is how WhatsApp reports a reaction taken back.
        let text = emoji.map { "[reaction \($0) to an earlier message]" } ?? "[reaction removed]"
        var content = WhatsAppContent(text: text, attachments: [Attachment(kind: "reaction", details: details.nilIfEmpty)])
        content.metadata["reply_to"] = target
        return content
    }

    private static func interactive(_ body: JSONValue, error: String?) -> WhatsAppContent {
        guard body.isObject else {
            // WhatsApp could not pass the reply on (it says why in `errors`).
            let text = "[interactive reply could not be read\(error.map { ": \($0)" } ?? "")]"
            return WhatsAppContent(text: text, attachments: [Attachment(kind: "interactive", details: error.map { ["error": $0] })])
        }
        let subtype = body.string("type") ?? "interactive"
        let reply = body.field(subtype) ?? .null
        var details = reply.scalarFields
        details["type"] = subtype
        // button_reply and list_reply carry a title; a flow (nfm_reply) carries a body and JSON.
        let text = reply.string("title") ?? reply.string("body") ?? reply.string("name").map { "[\($0) form submitted]" } ?? "[\(subtype)]"
        return WhatsAppContent(text: text, attachments: [Attachment(kind: "interactive", details: details)])
    }

    private static func order(_ body: JSONValue) -> WhatsAppContent {
        let lines = (body.field("product_items")?.items ?? []).map { item in
            let product = item.string("product_retailer_id") ?? "?"
            let quantity = item.string("quantity") ?? "1"
            let price = [item.string("item_price"), item.string("currency")].compactMap { $0 }.joined(separator: " ")
            return "\(product) × \(quantity)\(price.isEmpty ? "" : " (\(price))")"
        }
        var details: [String: String] = [:]
        details["catalog_id"] = body.string("catalog_id")
        details["items"] = lines.joined(separator: "; ").nilIfEmpty
        let summary = "[order: \(lines.isEmpty ? "no items" : lines.joined(separator: ", "))]"
        let text = body.string("text").map { "\($0)\n\(summary)" } ?? summary
        return WhatsAppContent(text: text, attachments: [Attachment(kind: "order", details: details.nilIfEmpty)])
    }
}
