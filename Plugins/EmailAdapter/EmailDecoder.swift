import Foundation
import SwitchboardAdapterAPI

/// Turns one raw RFC 5322 message into the normalized ``InboundMessage``. Pure: no I/O, so the
/// webhook, the mailgate and IMAP polling all decode the same way, and tests run on files.
public enum EmailDecoder {
    /// Decodes `raw`, or throws ``InboundError/malformed(_:)`` with the reason it cannot be a
    /// customer's mail. `ownAddress` is the adapter's address: mail from it is never a contact.
    /// Attachments carry their decoded bytes as far as `limits` allow.
    public static func decode(
        _ raw: [UInt8], ownAddress: String, limits: AttachmentLimits = AttachmentLimits()
    ) throws(InboundError) -> InboundMessage {
        try decodeWithMail(raw, ownAddress: ownAddress, limits: limits).message
    }

    /// The message and what GMime parsed, for callers that look further (delivery reports).
    static func decodeWithMail(
        _ raw: [UInt8], ownAddress: String, limits: AttachmentLimits
    ) throws(InboundError) -> (message: InboundMessage, mail: ParsedEmail) {
        let mail = try MimeParser.parse(raw, limits: limits)
        // From is who wrote; Sender and Return-Path only stand in when From is unreadable (it is
        // the customer's identity, so Reply-To never replaces it; it is kept in metadata).
        guard let author = mail.from.first ?? mail.sender.first ?? returnPathAddress(mail) else {
            throw .malformed("no sender: the message has no readable From address")
        }
        let address = author.address.lowercased()
        let externalID = mail.messageID ?? "sha256:" + GMimeRuntime.sha256Hex(raw)
        let (text, cut) = QuoteStripper.split(mail.body)

        var metadata: [String: String] = ["from": author.display, "message_id": externalID]
        // The whole body only when it says more than the text: otherwise it would store every
        // message twice (and a reply's quote is the bulk of its bytes anyway).
        if cut { metadata["full_text"] = mail.body }
        metadata["subject"] = mail.subject
        metadata["to"] = joined(mail.to) ?? mail.unparsedRecipients["to"]
        metadata["cc"] = joined(mail.cc) ?? mail.unparsedRecipients["cc"]
        metadata["reply_to"] = joined(mail.replyTo)
        metadata["in_reply_to"] = mail.inReplyTo.first
        if !mail.references.isEmpty { metadata["references"] = mail.references.joined(separator: " ") }
        let automated = AutomatedMail.reason(mail, sender: address, ownAddress: ownAddress)
        metadata["automated"] = automated

        return (InboundMessage(
            externalID: externalID,
            from: ChannelIdentity(channel: "email", address: address),
            customerName: author.name,
            text: text,
            sentAt: mail.date,
            metadata: metadata,
            attachments: mail.attachments,
            kind: automated == nil ? .contact : .automated,
            references: MessageIDs.nearestFirst(inReplyTo: mail.inReplyTo, references: mail.references)), mail)
    }

    private static func joined(_ addresses: [EmailAddress]) -> String? {
        addresses.isEmpty ? nil : addresses.map(\.display).joined(separator: ", ")
    }

    private static func returnPathAddress(_ mail: ParsedEmail) -> EmailAddress? {
        guard let value = mail.header("Return-Path") else { return nil }
        let bare = MessageIDs.bare(value)
        return bare.contains("@") && !bare.contains(" ") ? EmailAddress(name: nil, address: bare) : nil
    }
}
