import SwitchboardAdapterAPI

/// Who a message is filed under. Mail is never refused for its sender: a monitoring system's mail
/// without From, `From: foo` without a domain and a DSN from `MAILER DAEMON <>` are all real mail
/// someone must read.
enum SenderChoice: Equatable {
    /// A usable address, and the field it came from (`From` unless it had none).
    case address(EmailAddress, field: String)
    /// None anywhere: filed under the adapter's placeholder (``UnknownSender``).
    case unknown

    /// The first usable address of From, Sender, Reply-To, Return-Path, then the envelope sender
    /// (LMTP `MAIL FROM`, `mailgate --sender`). From is who wrote, so while it is usable nothing
    /// else replaces it (a Reply-To is kept in metadata only).
    static func choose(_ mail: ParsedEmail, envelope: MailEnvelope?) -> SenderChoice {
        if let from = mail.from.first(where: { isUsable($0.address) }) { return .address(from, field: "From") }
        if let sender = mail.sender.first(where: { isUsable($0.address) }) { return .address(sender, field: "Sender") }
        if let replyTo = mail.replyTo.first(where: { isUsable($0.address) }) { return .address(replyTo, field: "Reply-To") }
        if let value = mail.header("Return-Path") {
            let bare = MessageIDs.bare(value)
            if isUsable(bare) { return .address(EmailAddress(name: nil, address: bare), field: "Return-Path") }
        }
        if let sender = envelope?.sender, isUsable(sender) {
            return .address(EmailAddress(name: nil, address: sender), field: "envelope sender")
        }
        return .unknown
    }

    /// `local@domain`, both parts present, nothing that cannot be in an address to write to.
    static func isUsable(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex else {
            return false
        }
        return !address.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
            && !UnknownSender.isPlaceholder(address)
    }
}

/// The address mail without any usable sender is filed under: one "unknown sender" customer per
/// adapter, which supervisors see like any other. It is in the reserved `.invalid` domain (RFC 2606),
/// so nothing can ever be sent to it: no acknowledgement goes out (``InboundMessage/noAutoReply``)
/// and replies are refused until an agent links a real address to the customer.
enum UnknownSender {
    static let localPart = "unknown-sender"

    /// `unknown-sender@<adapter id>.invalid`.
    static func address(adapter: String) -> String {
        let label = String(adapter.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        return "\(localPart)@\(label.isEmpty ? "email" : label).invalid"
    }

    /// Whether `address` is in the `.invalid` domain: never deliverable, whoever made it.
    static func isPlaceholder(_ address: String) -> Bool {
        address.lowercased().hasSuffix(".invalid")
    }

    /// The customer's name until an agent corrects it.
    static func name(adapter: String) -> String { "Unknown sender (\(adapter))" }

    static func isPlaceholderName(_ name: String) -> Bool {
        name.hasPrefix("Unknown sender (") && name.hasSuffix(")")
    }

    static let noAutoReply = "no usable sender address (no From, Sender, Reply-To, Return-Path or envelope sender)"

    /// Why a reply to the placeholder cannot go out, and what the agent can do.
    static let refusal =
        "this mail came without any usable sender address, so there is no one to send a reply to: link the customer's e-mail address first (POST /api/v1/customers/{id}/identities with {\"channel\": \"email\", \"address\": …}); replies then go there"
}
