import Foundation
import Logging
import SwitchboardAdapterAPI

/// Decodes Messenger and Instagram webhooks into events. Pure (no I/O), so it is tested on the
/// corpus files.
///
/// Envelope: `{"object":"page"|"instagram","entry":[{"id":PAGE_OR_IG_ID,"time","messaging":[
/// {"sender":{"id"},"recipient":{"id"},"timestamp"(ms),"message"|"message_edit"|"postback"|
/// "delivery"|"read"|"reaction"|…}]}]}`. Entries and messaging items are lists: all count.
struct MessengerInbound: Sendable {
    var platform: MessengerPlatform
    /// The configured Page or Instagram account id: the identity namespace when an entry has none.
    var pageID: String
    var logger: Logger

    func events(from document: JSONValue) throws(InboundError) -> [InboundEvent] {
        guard let list = try MetaEnvelope.entries(of: document, object: platform.object, logger: logger) else {
            return [.ignored(reason: .unsupportedEvent)]
        }
        var events: [InboundEvent] = []
        for entry in list {
            let account = entry.string("id") ?? pageID
            if account != pageID {
                // One Meta app has one callback URL for all its Pages: another Page's customers are
                // kept (under that Page's namespace), but replies here leave from the configured one.
                logger.notice("webhook entry for another account", metadata: ["entry": "\(account)", "configured": "\(pageID)"])
            }
            // `changes` (comments, mentions) are not conversations; `standby` belongs to another app.
            for item in entry.field("messaging")?.items ?? [] {
                events += decode(item, account: account)
            }
            for key in ["changes", "standby"] {
                events += Array(repeating: .ignored(reason: .unsupportedEvent), count: entry.field(key)?.items.count ?? 0)
            }
        }
        return events
    }

    private func decode(_ item: JSONValue, account: String) -> [InboundEvent] {
        let sender = item.field("sender")?.string("id")
        let sentAt = item.field("timestamp")?.text.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }

        if let delivery = item.field("delivery") {
            let reports: [InboundEvent] = (delivery.field("mids")?.items ?? []).compactMap(\.idText).map {
                .deliveryStatus(DeliveryStatusUpdate(externalID: $0, state: .delivered))
            }
            // A watermark alone names no reply.
            return reports.isEmpty ? [.ignored(reason: .unsupportedEvent)] : reports
        }
        if let read = item.field("read") {
            // Instagram names the message read; Messenger only gives a watermark (everything sent
            // before it), which names no reply, so it is ignored.
            guard let mid = read.string("mid") else { return [.ignored(reason: .unsupportedEvent)] }
            return [.deliveryStatus(DeliveryStatusUpdate(externalID: mid, state: .read))]
        }
        guard let sender else {
            logger.debug("ignored a messaging item without sender")
            return [.ignored(reason: .missingSender)]
        }
        let identity = ChannelIdentity(channel: "\(platform.rawValue):\(account)", address: sender)
        func inbound(_ externalID: String, _ text: String, _ attachments: [Attachment] = [], _ metadata: [String: String] = [:]) -> InboundMessage {
            InboundMessage(
                externalID: externalID, from: identity, text: text, sentAt: sentAt, threadRef: nil,
                metadata: metadata, attachments: attachments)
        }

        if let message = item.field("message") {
            if message.flag("is_echo") { return [.ignored(reason: .ownMessage)] }  // our own send, echoed back
            guard let mid = message.string("mid") else {
                logger.warning("ignored a \(platform.displayName) message without mid")
                return [.ignored(reason: .missingSender)]
            }
            if message.flag("is_deleted") {
                // Unsent by the customer: annotate the original; the core keeps what was first said.
                return [.edit(inbound(mid, "[message deleted by the customer]", [], ["deleted": "true"]), editedAt: sentAt)]
            }
            let content = Self.content(of: message)
            return [.message(inbound(mid, content.text, content.attachments, content.metadata))]
        }
        if let edit = item.field("message_edit") ?? item.field("message_edits") {
            guard let mid = edit.string("mid") else { return [.ignored(reason: .missingSender)] }
            var metadata: [String: String] = [:]
            metadata["num_edit"] = edit.string("num_edit")
            return [.edit(inbound(mid, edit.field("text")?.text ?? "", [], metadata), editedAt: sentAt)]
        }
        if let postback = item.field("postback") {
            // A tap on a button we sent; older postbacks carry no mid, so one is made from the tap.
            let mid = postback.string("mid") ?? "postback:\(sender):\(item.field("timestamp")?.text ?? "0")"
            let title = postback.string("title") ?? postback.string("payload") ?? "[button]"
            var details: [String: String] = [:]
            details["title"] = postback.string("title")
            details["payload"] = postback.string("payload")
            var metadata: [String: String] = [:]
            for (key, text) in postback.field("referral")?.scalarFields ?? [:] { metadata["referral_\(key)"] = text }
            return [.message(inbound(mid, title, [Attachment(kind: "postback", details: details.nilIfEmpty)], metadata))]
        }
        if let reaction = item.field("reaction") {
            // The mid is the message reacted to (usually ours), so the event gets an id of its own.
            let target = reaction.string("mid") ?? "?"
            let action = reaction.string("action") ?? "react"
            let emoji = reaction.string("emoji") ?? reaction.string("reaction")
            let text = action == "unreact" ? "[reaction removed]" : "[reaction \(emoji ?? "") to an earlier message]"
            var details: [String: String] = ["message_id": target, "action": action]
            details["emoji"] = emoji
            let id = "reaction:\(target):\(sender):\(item.field("timestamp")?.text ?? "0")"
            return [.message(inbound(id, text, [Attachment(kind: "reaction", details: details)], ["reply_to": target]))]
        }
        // Opt-ins, referrals, handovers, policy notices: nothing a customer said.
        logger.debug("ignored a \(platform.displayName) messaging item without a message")
        return [.ignored(reason: .unsupportedEvent)]
    }

    /// Text, attachments and reply facts of one `message` object.
    static func content(of message: JSONValue) -> (text: String, attachments: [Attachment], metadata: [String: String]) {
        var attachments: [Attachment] = []
        var metadata: [String: String] = [:]
        for attachment in message.field("attachments")?.items ?? [] {
            let type = attachment.string("type") ?? "file"
            let payload = attachment.field("payload") ?? .null
            var details = payload.scalarFields
            details.removeValue(forKey: "url")
            if let title = attachment.string("title") { details["title"] = title }
            if let coordinates = payload.field("coordinates") {
                // A shared location: `payload.coordinates.{lat,long}` (Messenger and Instagram).
                details["latitude"] = coordinates.string("lat")
                details["longitude"] = coordinates.string("long")
            }
            attachments.append(
                Attachment(
                    kind: type == "file" ? "document" : type, url: payload.string("url") ?? attachment.string("url"),
                    platformID: payload.string("attachment_id") ?? payload.string("sticker_id") ?? payload.string("reel_video_id"),
                    details: details.nilIfEmpty))
        }
        if let quick = message.field("quick_reply") { metadata["quick_reply_payload"] = quick.string("payload") }
        if let replyTo = message.field("reply_to") {
            metadata["reply_to"] = replyTo.string("mid")
            if let story = replyTo.field("story") {
                // A reply to one of our stories: the story is what the customer is talking about.
                attachments.append(Attachment(kind: "story", url: story.string("url"), platformID: story.string("id")))
                metadata["reply_to_story"] = story.string("id")
            }
        }
        if let referral = message.field("referral") {
            for (key, text) in referral.scalarFields { metadata["referral_\(key)"] = text }
        }
        if message.flag("is_unsupported") {
            attachments.append(Attachment(kind: "unsupported"))
        }
        // Without text the core gives the message its placeholder ("[photo]", "[location: 40.41, -3.70]").
        let text = message.field("text")?.text ?? ""
        return (text, attachments, metadata)
    }
}
