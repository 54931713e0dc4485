import Foundation
import SwitchboardAdapterAPI

/// Turns one raw RFC 5322 message into the normalized ``InboundMessage``. Pure: no I/O, so the
/// webhook, the mailgate and IMAP polling all decode the same way, and tests run on files.
public enum EmailDecoder {
    /// Decodes `raw`, or throws ``InboundError/malformed(_:)`` with the reason it cannot be a
    /// customer's mail. `ownAddress` is the adapter's address: mail from it is never a contact.
    /// Attachments carry their decoded bytes as far as `limits` allow. With `authentication`, the
    /// trusted `Authentication-Results` decide whether the sender may be answered automatically.
    public static func decode(
        _ raw: [UInt8], ownAddress: String, limits: AttachmentLimits = AttachmentLimits(),
        authentication: SenderAuthentication? = nil
    ) throws(InboundError) -> InboundMessage {
        try decodeWithMail(raw, ownAddress: ownAddress, limits: limits, authentication: authentication).message
    }

    /// The message and what GMime parsed, for callers that look further (delivery reports).
    static func decodeWithMail(
        _ raw: [UInt8], ownAddress: String, limits: AttachmentLimits, authentication: SenderAuthentication?
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
        if !mail.truncatedHeaders.isEmpty { metadata["truncated_headers"] = mail.truncatedHeaders.joined(separator: ", ") }
        let automated = AutomatedMail.reason(mail, sender: address, ownAddress: ownAddress)
        metadata["automated"] = automated
        var noAutoReply: String?
        if let authentication {
            let verdict = authentication.verdict(mail, fromDomain: domain(of: address))
            metadata["authentication"] = verdict.summary
            if authentication.required, !verdict.verified { noAutoReply = "sender \(verdict.summary)" }
        }
        // Our ids of the old, guessable shape prove nothing: a stranger can write them.
        let ownDomain = domain(of: ownAddress)
        let references = OwnMessageIDs.withoutUntagged(
            MessageIDs.nearestFirst(inReplyTo: mail.inReplyTo, references: mail.references), domain: ownDomain)

        return (InboundMessage(
            externalID: externalID,
            from: ChannelIdentity(channel: "email", address: address),
            customerName: author.name,
            text: text,
            sentAt: mail.date,
            metadata: metadata,
            attachments: mail.attachments,
            kind: automated == nil ? .contact : .automated,
            references: references,
            noAutoReply: noAutoReply), mail)
    }

    private static func domain(of address: String) -> String {
        address.split(separator: "@").last.map { $0.lowercased() } ?? ""
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
