import Foundation

/// The SMTP envelope of a message: who the MTA says sent it (`MAIL FROM`) and for whom it is
/// (`RCPT TO`). It can differ from the header fields, and it is there when they are not.
public struct MailEnvelope: Sendable, Equatable {
    /// What sends this gateway mail: `MAIL FROM:<>` (a bounce or an auto-reply, RFC 5321 §4.5.5).
    public static let nullSender = ""

    /// The envelope sender: an address, ``nullSender`` for `<>`, or nil when the delivery did not
    /// say (a plain hook post).
    public var sender: String?
    /// The envelope recipients this delivery is for (this adapter's own addresses).
    public var recipients: [String]

    /// An envelope as the MTA gave it.
    public init(sender: String?, recipients: [String] = []) {
        self.sender = sender
        self.recipients = recipients
    }

    /// Whether the sender is the null sender `<>`.
    public var isNullSender: Bool { sender == Self.nullSender }
}

/// One message an MTA handed the gateway directly (LMTP), with its envelope.
public struct MailDelivery: Sendable {
    /// The message as received, dot-unstuffed, with LF line ends.
    public var message: [UInt8]
    /// Who sent it and for whom, as the MTA said.
    public var envelope: MailEnvelope
    /// When the final `.` arrived.
    public var receivedAt: Date

    /// A delivery of `message` under `envelope`.
    public init(message: [UInt8], envelope: MailEnvelope, receivedAt: Date = Date()) {
        self.message = message
        self.envelope = envelope
        self.receivedAt = receivedAt
    }
}

/// An adapter an MTA can deliver to directly over LMTP (RFC 2033): Postfix's `lmtp` transport,
/// Exim's `lmtp` transport or `smtp` transport with `protocol = lmtp`.
///
/// The adapter only declares where it listens and which recipients are its own, and decodes what
/// arrives; the gateway runs the listener, speaks the protocol and stores the events through the
/// same pipeline as the adapter's hook. So another adapter takes LMTP by conforming, without any
/// change to the gateway.
public protocol MailDeliveryAdapter: ChannelAdapter {
    /// Where and how the gateway listens for this adapter's mail; nil: no direct delivery.
    var lmtp: LMTPEndpoint? { get }
    /// Whether `address` (an `RCPT TO`) is one of this adapter's mailboxes. Others are refused
    /// with `550 5.1.1` before any data is sent.
    func accepts(recipient address: String) -> Bool
    /// Decodes one delivered message. Throws ``InboundError`` only for what can never be stored
    /// (it is not e-mail at all): the MTA bounces that, so anything else must decode.
    func receive(_ delivery: MailDelivery) async throws(InboundError) -> [InboundEvent]
}
