import Foundation

/// Something a channel told us that must be stored.
public enum InboundEvent: Sendable {
    /// A customer's message (or call record): a new contact.
    case message(InboundMessage)
    /// The platform's word on one of our replies (delivered, read, failed).
    case deliveryStatus(DeliveryStatusUpdate)
}

/// The customer's address on a channel. Identities with the same `channel` and normalized `address`
/// are the same customer, whichever adapter they arrived through.
public struct ChannelIdentity: Sendable, Hashable {
    /// The identity namespace: `email`, `phone`, `telegram`, or an adapter's own name.
    public var channel: String
    public var address: String

    public init(channel: String, address: String) {
        self.channel = channel
        self.address = address
    }
}

/// One normalized inbound message, the same shape for every channel.
public struct InboundMessage: Sendable {
    /// The channel's id for this message; (adapter, externalID) is stored once.
    public var externalID: String
    public var from: ChannelIdentity
    public var customerName: String?
    public var text: String
    /// When the customer sent it, if the channel says; else the time it was received.
    public var sentAt: Date?
    /// The channel's thread or chat the reply must go back to, when it differs from `from.address`.
    public var threadRef: String?
    /// Channel-specific facts worth showing (subject, call duration, media type …).
    public var metadata: [String: String]

    public init(
        externalID: String, from: ChannelIdentity, customerName: String? = nil, text: String,
        sentAt: Date? = nil, threadRef: String? = nil, metadata: [String: String] = [:]
    ) {
        self.externalID = externalID
        self.from = from
        self.customerName = customerName
        self.text = text
        self.sentAt = sentAt
        self.threadRef = threadRef
        self.metadata = metadata
    }
}

/// A platform's delivery report about a reply we sent, matched by the id the platform gave it.
public struct DeliveryStatusUpdate: Sendable {
    public enum State: String, Sendable { case sent, delivered, read, failed }
    public var externalID: String
    public var state: State
    public var error: String?

    public init(externalID: String, state: State, error: String? = nil) {
        self.externalID = externalID
        self.state = state
        self.error = error
    }
}
