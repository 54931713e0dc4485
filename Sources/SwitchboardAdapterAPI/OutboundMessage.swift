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
    /// The conversation's stable reference for the customer (`SB-000123`), to quote where the channel
    /// has room for it (an e-mail subject).
    public var reference: String
    /// The customer's name as we know it, for channels that address people by name.
    public var customerName: String?
    /// What the adapter recorded (`InboundMessage.metadata`) with the message answered, so a channel can
    /// thread its reply (an e-mail's subject and `References`).
    public var inReplyToMetadata: [String: String]
    /// Why this message goes out: an agent's reply, or the gateway's acknowledgement of a new request.
    public var purpose: Purpose
    /// A value only the gateway can compute for this message, stable across attempts. Channels that
    /// echo an id of ours back (an e-mail's `Message-ID` in `In-Reply-To`, `References` and bounces)
    /// put it in that id, so an id a stranger makes up never matches one of our messages. Empty only
    /// in tests that build messages by hand.
    public var tag: String
    /// The files the reply carries, in order (empty for text only).
    public var attachments: [OutboundAttachment]
    /// The template the reply sends instead of free-form text (``text`` then is its filled-in body, for
    /// channels that cannot send templates as such).
    public var template: TemplateReply?
    /// Records a platform's id for an uploaded attachment (its ``OutboundAttachment/index`` and the
    /// id) with the outbox entry, so a retry sends the same file without uploading it again.
    public var rememberMedia: @Sendable (_ index: Int, _ platformID: String) async -> Void

    public enum Purpose: String, Sendable { case reply, acknowledgement }

    public init(
        id: Int64, conversationID: Int64, to: String, threadRef: String? = nil, text: String,
        inReplyTo: String? = nil, attempt: Int = 0, quoted: Bool = false, reference: String? = nil,
        customerName: String? = nil, inReplyToMetadata: [String: String] = [:], purpose: Purpose = .reply,
        tag: String = "", attachments: [OutboundAttachment] = [], template: TemplateReply? = nil,
        rememberMedia: @escaping @Sendable (_ index: Int, _ platformID: String) async -> Void = { _, _ in }
    ) {
        self.tag = tag
        self.attachments = attachments
        self.template = template
        self.rememberMedia = rememberMedia
        self.reference = reference ?? ConversationReference.format(conversationID)
        self.customerName = customerName
        self.inReplyToMetadata = inReplyToMetadata
        self.purpose = purpose
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

/// The reference a customer can quote to find their conversation again: `SB-` and the conversation
/// number, at least six digits. The same on every channel.
public enum ConversationReference {
    public static func format(_ conversationID: Int64) -> String {
        let digits = String(conversationID)
        return "SB-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The first reference quoted in `text` (`SB-000123`, `[SB-123]`, case-insensitive), if any.
    public static func find(in text: Substring) -> Int64? {
        var rest = text[...]
        while let range = rest.range(of: "SB-", options: .caseInsensitive) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let digits = rest[range.upperBound...].prefix(while: { $0.isASCII && $0.isNumber })
            let after = rest[range.upperBound...].dropFirst(digits.count).first
            if !digits.isEmpty, digits.count <= 12, before.map({ !($0.isLetter || $0.isNumber) }) ?? true,
                after.map({ !($0.isLetter || $0.isNumber) }) ?? true, let id = Int64(digits), id > 0
            {
                return id
            }
            rest = rest[range.upperBound...]
        }
        return nil
    }
}
