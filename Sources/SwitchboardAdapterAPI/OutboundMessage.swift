import Foundation

/// One agent reply on its way to a customer.
public struct OutboundMessage: Sendable {
    /// The reply's message id; stable across retries, so it is the idempotency key.
    public var id: Int64
    public var conversationID: Int64
    /// The customer's address on this adapter's channel.
    public var to: String
    /// The chat or thread the customer wrote in, when the channel has one.
    public var threadRef: String?
    public var text: String
    /// The external id of the customer's message this answers.
    public var inReplyTo: String?
    /// How many times delivery was tried before this one.
    public var attempt: Int
    /// The agent picked `inReplyTo` explicitly. Channels that show a quote of the answered message
    /// (WhatsApp's context) should quote only then; `inReplyTo` is set either way for threading.
    public var quoted: Bool

    public init(
        id: Int64, conversationID: Int64, to: String, threadRef: String? = nil, text: String,
        inReplyTo: String? = nil, attempt: Int = 0, quoted: Bool = false
    ) {
        self.quoted = quoted
        self.id = id
        self.conversationID = conversationID
        self.to = to
        self.threadRef = threadRef
        self.text = text
        self.inReplyTo = inReplyTo
        self.attempt = attempt
    }

    /// The value for an `Idempotency-Key` header: the same on every attempt.
    public var idempotencyKey: String { String(id) }
}

/// What the channel said when it accepted a reply.
public struct DeliveryReceipt: Sendable, Equatable {
    public enum State: String, Sendable { case sent, delivered }
    /// The platform's id for the sent message, so later status reports can be matched.
    public var externalID: String?
    public var state: State

    public init(externalID: String? = nil, state: State = .delivered) {
        self.externalID = externalID
        self.state = state
    }
}

/// A reply that did not go out. Transient failures are retried with backoff; permanent ones fail now.
public struct DeliveryFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var permanent: Bool
    /// A wait the platform asked for (`Retry-After`), honoured by the outbox.
    public var retryAfter: Duration?

    public init(_ reason: String, permanent: Bool = false, retryAfter: Duration? = nil) {
        self.reason = reason
        self.permanent = permanent
        self.retryAfter = retryAfter
    }

    public var description: String { reason }

    /// Classifies an HTTP answer the usual way: 408, 425, 429 and 5xx are worth retrying, other 4xx are not.
    public static func fromHTTP(_ response: HTTPResponse, context: String) -> DeliveryFailure {
        let retryable = response.status == 408 || response.status == 425 || response.status == 429 || response.status >= 500
        let retryAfter = response.header("Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
        let snippet = String(response.bodyText.prefix(200))
        return DeliveryFailure(
            "\(context) answered HTTP \(response.status)\(snippet.isEmpty ? "" : ": \(snippet)")",
            permanent: !retryable, retryAfter: retryAfter)
    }
}
