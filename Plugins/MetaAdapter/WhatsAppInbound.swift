import Foundation
import Logging
import SwitchboardAdapterAPI

/// Decodes WhatsApp Cloud API webhooks into events: customer messages, edits, and status reports
/// on our replies. Pure (no I/O), so it is tested on the corpus files.
///
/// Envelope: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",
/// "value":{"metadata","contacts","messages"|"statuses","errors"}}]}]}`. One POST may batch several
/// entries, changes, messages and statuses; all of them become events.
struct WhatsAppInbound: Sendable {
    static let object = "whatsapp_business_account"

    var logger: Logger

    func events(from document: JSONValue) throws(InboundError) -> [InboundEvent] {
        // Things this adapter has no use for (another object, account or template notifications)
        // are answered 200 and ignored, like any other Meta webhook.
        let list = try MetaEnvelope.entries(of: document, object: Self.object, logger: logger)
        var events: [InboundEvent] = []
        for entry in list {
            for change in entry.field("changes")?.items ?? [] {
                if let field = change.string("field"), field != "messages" {
                    logger.debug("ignored a WhatsApp change", metadata: ["field": "\(field)"])
                    continue
                }
                guard let value = change.field("value") else { continue }
                events += decode(value)
            }
        }
        return events
    }

    private func decode(_ value: JSONValue) -> [InboundEvent] {
        var names: [String: String] = [:]
        for contact in value.field("contacts")?.items ?? [] {
            if let waID = contact.string("wa_id"), let name = contact.field("profile")?.string("name") { names[waID] = name }
        }
        // Errors next to the messages explain content WhatsApp could not pass on.
        let changeError = Self.describe(errors: value.field("errors"))
        var business: [String: String] = [:]
        business["business_number"] = value.field("metadata")?.string("display_phone_number")
        business["phone_number_id"] = value.field("metadata")?.string("phone_number_id")

        var events: [InboundEvent] = []
        for message in value.field("messages")?.items ?? [] {
            if let event = decode(message: message, names: names, changeError: changeError, business: business) {
                events.append(event)
            }
        }
        for status in value.field("statuses")?.items ?? [] {
            if let update = decode(status: status) { events.append(.deliveryStatus(update)) }
        }
        return events
    }

    private func decode(message: JSONValue, names: [String: String], changeError: String?, business: [String: String]) -> InboundEvent? {
        guard let id = message.string("id"), let from = message.string("from") ?? message.string("from_user_id") else {
            // Nothing to store it under or reply to; the rest of the batch still counts.
            logger.warning("ignored a WhatsApp message without id or sender")
            return nil
        }
        let type = message.string("type") ?? "unknown"
        let sentAt = message.string("timestamp").flatMap(Timestamps.parse)
        let error = Self.describe(errors: message.field("errors")) ?? changeError

        var metadata = business
        metadata["whatsapp_type"] = type
        metadata["error"] = error
        if let context = message.field("context") {
            metadata["reply_to"] = context.string("id")
            if context.flag("frequently_forwarded") { metadata["forwarded"] = "frequently" } else if context.flag("forwarded") { metadata["forwarded"] = "true" }
            if let product = context.field("referred_product") { metadata["referred_product"] = product.string("product_retailer_id") }
        }
        if let referral = message.field("referral") {
            // Click-to-WhatsApp ads: which ad or post the customer came from.
            for (key, text) in referral.scalarFields { metadata["referral_\(key)"] = text }
        }

        func inbound(_ externalID: String, _ content: WhatsAppContent) -> InboundMessage {
            InboundMessage(
                externalID: externalID, from: Self.identity(of: from), customerName: names[from], text: content.text,
                sentAt: sentAt, threadRef: nil, metadata: metadata.merging(content.metadata) { $1 },
                attachments: content.attachments)
        }

        switch type {
        case "edit":
            // The edit names the original; the core replaces its text and keeps the first version.
            guard let edit = message.field("edit"), let original = edit.string("original_message_id") else { break }
            let edited = edit.field("message") ?? .null
            let content = WhatsAppContent.decode(edited, type: edited.string("type") ?? "text", error: error)
            metadata["edit_id"] = id
            return .edit(inbound(original, content), editedAt: sentAt)
        case "revoke":
            // A message the customer deleted for everyone: annotate the original, keep what was said.
            guard let original = message.field("revoke")?.string("original_message_id") else { break }
            metadata["deleted"] = "true"
            return .edit(inbound(original, WhatsAppContent(text: "[message deleted by the customer]")), editedAt: sentAt)
        default:
            break
        }
        return .message(inbound(id, WhatsAppContent.decode(message, type: type, error: error)))
    }

    private func decode(status: JSONValue) -> DeliveryStatusUpdate? {
        guard let id = status.string("id"), let raw = status.string("status") else { return nil }
        let state: DeliveryStatusUpdate.State
        switch raw {
        case "sent": state = .sent
        case "delivered": state = .delivered
        // `played` is a voice message listened to: read, as far as an agent is concerned.
        case "read", "played": state = .read
        case "failed": state = .failed
        default:
            logger.debug("ignored a WhatsApp status", metadata: ["status": "\(raw)"])
            return nil
        }
        let error = state == .failed ? Self.describe(errors: status.field("errors")) ?? "WhatsApp reported the message as failed" : nil
        return DeliveryStatusUpdate(externalID: id, state: state, error: error)
    }

    /// A WhatsApp id (`wa_id`, digits without `+`) as the `phone` identity it is, so the same
    /// person texting by SMS is the same customer. Anything else (a business-scoped user id) is
    /// kept in WhatsApp's own namespace.
    static func identity(of from: String) -> ChannelIdentity {
        if !from.isEmpty, from.allSatisfy(\.isASCIIDigit) { return ChannelIdentity(channel: "phone", address: "+" + from) }
        if from.hasPrefix("+"), from.count > 1, from.dropFirst().allSatisfy(\.isASCIIDigit) { return ChannelIdentity(channel: "phone", address: from) }
        return ChannelIdentity(channel: "whatsapp", address: from)
    }

    /// `errors[]` as one readable line: `Message type unknown (131051): Message type is currently not supported.`
    static func describe(errors: JSONValue?) -> String? {
        let lines = (errors?.items ?? []).map { error -> String in
            let title = error.string("title") ?? error.string("message") ?? "error"
            var line = title
            if let code = error.string("code") { line += " (\(code))" }
            if let details = error.field("error_data")?.string("details"), details != title { line += ": \(details)" }
            return line
        }
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }
}
