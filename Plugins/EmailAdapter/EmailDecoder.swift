import Foundation
import SwitchboardAdapterAPI

/// Turns one raw RFC 5322 message into the normalized ``InboundMessage``. Pure: no I/O, so the
/// webhook, the mailgate and IMAP polling all decode the same way, and tests run on files.
public enum EmailDecoder {
    /// Decodes `raw`, or throws ``InboundError/malformed(_:)`` when it is not e-mail at all.
    /// `ownAddress` is the adapter's address: mail from it is never a contact. Attachments carry
    /// their decoded bytes as far as `limits` allow. With `authentication`, the trusted
    /// `Authentication-Results` decide whether the sender may be answered automatically. The
    /// `envelope` (LMTP, `mailgate --sender`) is kept in metadata and is the last sender fallback;
    /// mail with no usable sender at all is filed under `adapter`'s ``UnknownSender`` placeholder.
    public static func decode(
        _ raw: [UInt8], ownAddress: String, limits: AttachmentLimits = AttachmentLimits(),
        authentication: SenderAuthentication? = nil, envelope: MailEnvelope? = nil, adapter: String = "email"
    ) throws(InboundError) -> InboundMessage {
        try decodeWithMail(
            raw, ownAddress: ownAddress, limits: limits, authentication: authentication, envelope: envelope, adapter: adapter
        ).message
    }

    /// The message and what GMime parsed, for callers that look further (delivery reports).
    static func decodeWithMail(
        _ raw: [UInt8], ownAddress: String, limits: AttachmentLimits, authentication: SenderAuthentication?,
        envelope: MailEnvelope? = nil, adapter: String = "email"
    ) throws(InboundError) -> (message: InboundMessage, mail: ParsedEmail) {
        let mail = try MimeParser.parse(raw, limits: limits)
        // Mail is never refused for lacking a sender, so what stands between a stray JSON post or
        // a text file and a stored customer message is that some field of its header is one mail has.
        guard mail.headers.keys.contains(where: mailFields.contains) else {
            throw .malformed("not an e-mail message: it has none of the header fields mail has (From, To, Subject, Date, Message-ID, Received …)")
        }
        let author: EmailAddress
        var metadata: [String: String] = [:]
        var noAutoReply: String?
        switch SenderChoice.choose(mail, envelope: envelope) {
        case .address(let chosen, let field):
            author = field == "From" ? chosen : EmailAddress(name: chosen.name ?? fromName(mail), address: chosen.address)
            if field != "From" {
                metadata["sender_from"] = field
                metadata["from"] = fromText(mail) ?? "(no From)"
            }
        case .unknown:
            author = EmailAddress(name: UnknownSender.name(adapter: adapter), address: UnknownSender.address(adapter: adapter))
            metadata["from"] = fromText(mail) ?? "(no From)"
            metadata["sender_from"] = "unknown"
            noAutoReply = UnknownSender.noAutoReply
        }
        if let sender = envelope?.sender { metadata["envelope_from"] = sender.isEmpty ? "<>" : sender }
        if let recipients = envelope?.recipients, !recipients.isEmpty { metadata["envelope_to"] = recipients.joined(separator: ", ") }
        let address = author.address.lowercased()
        let externalID = mail.messageID ?? "sha256:" + GMimeRuntime.sha256Hex(raw)
        let (text, cut) = QuoteStripper.split(mail.body)

        if metadata["from"] == nil { metadata["from"] = author.display }
        metadata["message_id"] = externalID
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
        let automated =
            AutomatedMail.reason(mail, sender: address, ownAddress: ownAddress)
            ?? (envelope?.isNullSender == true ? "null envelope sender (MAIL FROM:<>, a bounce or an auto-reply)" : nil)
        metadata["automated"] = automated
        if automated == nil {
            let own = [ownAddress] + (envelope?.recipients ?? [])
            metadata["participants"] = Participants.others(in: [mail.from, mail.to, mail.cc].flatMap { $0 }, author: address, own: own)
        }
        if noAutoReply == nil, let authentication {
            let verdict = authentication.verdict(mail, fromDomain: domain(of: address))
            metadata["authentication"] = verdict.summary
            if authentication.required, !verdict.verified { noAutoReply = "sender \(verdict.summary)" }
        }
        // Our ids of the old, guessable shape prove nothing: a stranger can write them.
        let ownDomain = domain(of: ownAddress)
        let references = OwnMessageIDs.withoutUntagged(
            MessageIDs.nearestFirst(inReplyTo: mail.inReplyTo, references: mail.references), domain: ownDomain)

        return (
            InboundMessage(
                externalID: externalID,
                from: ChannelIdentity(channel: "email", address: address),
                customerName: author.name,
                text: text,
                sentAt: mail.date,
                metadata: metadata,
                attachments: mail.attachments,
                kind: automated == nil ? .contact : .automated,
                references: references,
                noAutoReply: noAutoReply), mail
        )
    }

    /// Header fields (lower-cased) of which real mail has at least one.
    private static let mailFields: Set<String> = [
        "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to", "references",
        "received", "return-path", "delivered-to", "x-original-to", "mime-version", "content-type", "auto-submitted",
        "dkim-signature", "authentication-results", "list-id",
    ]

    private static func domain(of address: String) -> String {
        address.split(separator: "@").last.map { $0.lowercased() } ?? ""
    }

    private static func joined(_ addresses: [EmailAddress]) -> String? {
        addresses.isEmpty ? nil : addresses.map(\.display).joined(separator: ", ")
    }

    /// The From field as written, when it gave no usable address (`foo`, `MAILER DAEMON <>`), for
    /// agents to see who it claims to be; at most 200 characters.
    private static func fromText(_ mail: ParsedEmail) -> String? {
        guard let value = mail.header("From")?.trimmed, !value.isEmpty else { return nil }
        return String(value.prefix(200))
    }

    /// The name part of an unusable From (`MAILER DAEMON <>` → `MAILER DAEMON`, `foo` → `foo`).
    private static func fromName(_ mail: ParsedEmail) -> String? {
        guard let text = fromText(mail) else { return nil }
        let name = String(text.prefix { $0 != "<" }).trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        return name.isEmpty ? nil : name
    }
}
