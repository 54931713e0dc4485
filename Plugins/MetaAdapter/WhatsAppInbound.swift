import Foundation
import Logging
import SwitchboardAdapterAPI

/// Decodes WhatsApp Cloud API webhooks into events: customer messages, edits, and status reports
/// on our replies. Pure (no I/O), so it is tested on the corpus files.
///
/// Envelope: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",
/// "value":{"metadata","contacts","messages"|"statuses","errors"}}]}]}`. One POST may batch several
/// entries, changes, messages and statuses; all of them become events. What is not stored is an
/// `.ignored` event with its reason, so the hook's answer and the metrics say so:
/// - a change for another phone number of the same Meta app (`metadata.phone_number_id` is not
///   the configured one): `other_phone_number`, each message and status of it;
/// - other fields and objects (template updates, account alerts): `unsupported_event`;
/// - a message naming no sender at all (neither a phone number nor a user id): `missing_sender`;
/// - a status WhatsApp adds that this adapter does not know: `intermediate_status`.
struct WhatsAppInbound: Sendable {
    static let object = "whatsapp_business_account"

    /// The configured business number's id: changes for other numbers are not this adapter's.
    var phoneNumberID: String
    var logger: Logger

    func events(from document: JSONValue) throws(InboundError) -> [InboundEvent] {
        guard let list = try MetaEnvelope.entries(of: document, object: Self.object, logger: logger) else {
            return [.ignored(reason: .unsupportedEvent)]
        }
        var events: [InboundEvent] = []
        for entry in list {
            for change in entry.field("changes")?.items ?? [] {
                if let field = change.string("field"), field != "messages" {
                    logger.debug("ignored a WhatsApp change", metadata: ["field": "\(field)"])
                    events.append(.ignored(reason: .unsupportedEvent))
                    continue
                }
                guard let value = change.field("value") else {
                    events.append(.ignored(reason: .unsupportedEvent))
                    continue
                }
                if let number = value.field("metadata")?.string("phone_number_id"), number != phoneNumberID {
                    // One Meta app, several numbers, one callback URL: another number's customers
                    // belong to that number's adapter, and a reply from here would come from the
                    // wrong number.
                    logger.notice("ignored a WhatsApp change for another phone number", metadata: ["phone_number_id": "\(number)"])
                    let count = (value.field("messages")?.items.count ?? 0) + (value.field("statuses")?.items.count ?? 0)
                    events += Array(repeating: .ignored(reason: .otherPhoneNumber), count: max(count, 1))
                    continue
                }
                events += decode(value)
            }
        }
        return events
    }

    /// What `contacts[]` says about each sender: the profile name and the business-scoped user id.
    struct Contact {
        var name: String?
        var userID: String?
        var username: String?
    }

    private func decode(_ value: JSONValue) -> [InboundEvent] {
        // Keyed by `wa_id` (the phone number's digits) and by `user_id` (the BSUID), whichever
        // the contact carries: a user with a username may come without `wa_id`.
        var contacts: [String: Contact] = [:]
        let contactList = value.field("contacts")?.items ?? []
        for item in contactList {
            let contact = Self.contact(item)
            if let waID = item.string("wa_id") { contacts[waID] = contact }
            if let userID = contact.userID { contacts[userID] = contact }
        }
        // Errors next to the messages explain content WhatsApp could not pass on.
        let changeError = Self.describe(errors: value.field("errors"))
        var business: [String: String] = [:]
        business["business_number"] = value.field("metadata")?.string("display_phone_number")
        business["phone_number_id"] = value.field("metadata")?.string("phone_number_id")

        var events: [InboundEvent] = []
        for message in value.field("messages")?.items ?? [] {
            // A message names its sender's contact by `from` (the phone) or `from_user_id`; with a
            // single contact in the change, that contact is the sender.
            let key = message.string("from") ?? message.string("from_user_id")
            let contact = key.flatMap { contacts[$0] } ?? (contactList.count == 1 ? Self.contact(contactList[0]) : nil)
            events.append(decode(message: message, contact: contact, changeError: changeError, business: business))
        }
        for status in value.field("statuses")?.items ?? [] {
            events.append(decode(status: status).map(InboundEvent.deliveryStatus) ?? .ignored(reason: .intermediateStatus))
        }
        return events
    }

    static func contact(_ item: JSONValue) -> Contact {
        Contact(
            name: item.field("profile")?.string("name"), userID: item.string("user_id"),
            username: item.field("profile")?.string("username"))
    }

    private func decode(message: JSONValue, contact: Contact?, changeError: String?, business: [String: String]) -> InboundEvent {
        // The sender: the phone number when WhatsApp gives one (the same customer as on SMS and
        // voice), else the business-scoped user id of a user who shares only a username.
        let userID = message.string("from_user_id") ?? contact?.userID
        let sender: ChannelIdentity
        if let from = message.string("from") {
            sender = Self.identity(of: from)
        } else if let userID {
            sender = ChannelIdentity(channel: Self.userIdentityChannel, address: userID)
        } else {
            logger.warning("ignored a WhatsApp message without a sender")
            return .ignored(reason: .missingSender)
        }
        guard let id = message.string("id") else {
            logger.warning("ignored a WhatsApp message without id")
            return .ignored(reason: .missingSender)
        }
        let type = message.string("type") ?? "unknown"
        let sentAt = message.string("timestamp").flatMap(Timestamps.parse)
        let error = Self.describe(errors: message.field("errors")) ?? changeError

        var metadata = business
        metadata["whatsapp_type"] = type
        metadata["error"] = error
        if sender.channel != Self.userIdentityChannel { metadata["whatsapp_user_id"] = userID }
        metadata["whatsapp_username"] = contact?.username
        if let context = message.field("context") {
            metadata["reply_to"] = context.string("id")
            if context.flag("frequently_forwarded") {
                metadata["forwarded"] = "frequently"
            } else if context.flag("forwarded") {
                metadata["forwarded"] = "true"
            }
            if let product = context.field("referred_product") { metadata["referred_product"] = product.string("product_retailer_id") }
        }
        if let referral = message.field("referral") {
            // Click-to-WhatsApp ads: which ad or post the customer came from.
            for (key, text) in referral.scalarFields { metadata["referral_\(key)"] = text }
        }

        func inbound(_ externalID: String, _ content: WhatsAppContent) -> InboundMessage {
            var message = InboundMessage(
                externalID: externalID, from: sender, customerName: contact?.name, text: content.text,
                sentAt: sentAt, threadRef: nil, metadata: metadata.merging(content.metadata) { $1 },
                attachments: content.attachments)
            // Both the phone and the user id in one payload: the same person, known by both from now on.
            if sender.channel != Self.userIdentityChannel, let userID {
                message.alsoKnownAs = [ChannelIdentity(channel: Self.userIdentityChannel, address: userID)]
            }
            return message
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

    /// The identity namespace of customers known only by their business-scoped user id (BSUID,
    /// `US.13491208655302741918`): WhatsApp users who share a username instead of their number.
    static let userIdentityChannel = "whatsapp-user"

    /// A WhatsApp id (`wa_id`, digits without `+`) as the `phone` identity it is, so the same
    /// person texting by SMS is the same customer. Anything else is kept in WhatsApp's own namespace.
    static func identity(of from: String) -> ChannelIdentity {
        if !from.isEmpty, from.allSatisfy(\.isASCIIDigit) { return ChannelIdentity(channel: "phone", address: "+" + from) }
        if from.hasPrefix("+"), from.count > 1, from.dropFirst().allSatisfy(\.isASCIIDigit) {
            return ChannelIdentity(channel: "phone", address: from)
        }
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
