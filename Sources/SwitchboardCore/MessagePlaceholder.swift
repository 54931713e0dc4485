import Foundation
import SwitchboardAdapterAPI

/// What a customer's message without text reads as in the inbox and the thread: `[photo]`,
/// `[voice message 0:12]`, `[document: invoice.pdf]`, `[location: 40.41, -3.70]`,
/// `[contact: Ana]`, `[sticker]`, made from its attachments so every adapter reads alike.
///
/// It is stored as the message's body (the inbox, search, rules and exports all see it), marked
/// `metadata.placeholder: "true"` so nobody takes it for words the customer wrote; the attachments
/// stay as the channel described them.
public enum MessagePlaceholder {
    /// The placeholder for these attachments; nil when there are none.
    public static func text(for attachments: [Attachment]) -> String? {
        let parts = attachments.map(describe)
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// Gives a message with no text (only white space) the placeholder of its attachments.
    public static func apply(to message: inout InboundMessage) {
        guard message.text.allSatisfy(\.isWhitespace), let text = text(for: message.attachments) else { return }
        message.text = text
        message.metadata["placeholder"] = "true"
    }

    static func describe(_ attachment: Attachment) -> String {
        let details = attachment.details ?? [:]
        let duration = (details["duration"] ?? details["duration_s"]).flatMap(Double.init).map(clock)
        switch attachment.kind {
        case "image", "photo": return "[photo]"
        case "voice": return duration.map { "[voice message \($0)]" } ?? "[voice message]"
        case "audio": return duration.map { "[audio \($0)]" } ?? (attachment.fileName.map { "[audio: \($0)]" } ?? "[audio]")
        case "video", "video_note": return duration.map { "[video \($0)]" } ?? "[video]"
        case "document", "file": return attachment.fileName.map { "[document: \($0)]" } ?? "[document]"
        case "sticker": return details["emoji"].map { "[sticker \($0)]" } ?? "[sticker]"
        case "animation", "gif": return "[GIF]"
        case "unsupported": return "[unsupported message]"
        case "location":
            let place = details["name"] ?? details["title"]
            if let latitude = details["latitude"].flatMap(Double.init), let longitude = details["longitude"].flatMap(Double.init) {
                let point = "\(coordinate(latitude)), \(coordinate(longitude))"
                return place.map { "[location: \($0) (\(point))]" } ?? "[location: \(point)]"
            }
            return place.map { "[location: \($0)]" } ?? "[location]"
        case "contact":
            let who = details["name"] ?? details["phones"] ?? details["phone_number"] ?? details["phone"]
            return who.map { "[contact: \($0)]" } ?? "[contact]"
        default:
            return "[\(attachment.kind)]"
        }
    }

    /// `m:ss` (or `h:mm:ss`) of a duration in seconds.
    static func clock(_ seconds: Double) -> String {
        let total = max(0, Int(seconds.rounded()))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):\(m < 10 ? "0" : "")\(m):\(ss)" }
        return "\(m):\(ss)"
    }

    /// Two decimals, as a map shows a place (`40.41`, `-3.70`).
    static func coordinate(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
