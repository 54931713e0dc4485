import Crypto
import Foundation

/// Something a channel told us that must be stored.
public enum InboundEvent: Sendable {
    /// A customer's message (or call record): a new contact.
    case message(InboundMessage)
    /// The platform's word on one of our replies (delivered, read, failed).
    case deliveryStatus(DeliveryStatusUpdate)
    /// The customer edited an earlier message: `message.externalID` names the original, and the
    /// message carries the new text. Recorded as an edit of the original, never as a new contact
    /// (if the original was never received, the edited message is stored as it stands).
    case edit(InboundMessage, editedAt: Date?)
    /// Something the channel sent that is deliberately not stored (another account's message, a
    /// typing indicator, our own message echoed back). The pipeline never hands it to the store:
    /// it counts it in the hook's answer (`ignored_reasons`) and in
    /// `switchboard_inbound_ignored_total{adapter,reason}`, so a 2xx never hides a lost message.
    case ignored(reason: IgnoreReason)
}

/// Why something a channel sent is not stored: a short, stable code (`other_phone_number`,
/// `unsupported_event`). It is a metrics label and part of the hook's answer, so it names a kind
/// of thing, never a value from the request.
public struct IgnoreReason: Sendable, Hashable, CustomStringConvertible {
    /// The code: lower-case letters, digits and `_`.
    public let code: String

    public init(_ code: String) { self.code = code }

    public var description: String { code }

    /// A message for another phone number of the same Meta app (WhatsApp `metadata.phone_number_id`).
    public static let otherPhoneNumber = IgnoreReason("other_phone_number")
    /// A delivery for another account of the same app (X `for_user_id`).
    public static let otherAccount = IgnoreReason("other_account")
    /// Our own message echoed back by the platform.
    public static let ownMessage = IgnoreReason("own_message")
    /// An event kind this adapter does not record (typing, follows, template updates, opt-ins …).
    public static let unsupportedEvent = IgnoreReason("unsupported_event")
    /// A delivery report in a state that carries no news (`queued`, `sending`) or that is unknown.
    public static let intermediateStatus = IgnoreReason("intermediate_status")
    /// A delivery report about a message the gateway never sent (kept for an hour in case the send
    /// call's answer is late; set by the pipeline).
    public static let statusForUnknownMessage = IgnoreReason("status_for_unknown_message")
    /// A message without the sender or id it could be stored under.
    public static let missingSender = IgnoreReason("missing_sender")
    /// A public post or tweet that neither mentions nor answers our account, or a retweet.
    public static let notAddressedToUs = IgnoreReason("not_addressed_to_us")
    /// A broadcast channel's post (written by the business itself, not a customer).
    public static let channelPost = IgnoreReason("channel_post")
    /// A service message (members joining, pins, title changes): nobody waits for an answer.
    public static let serviceMessage = IgnoreReason("service_message")
    /// A message written by a bot: answering bots invites loops.
    public static let botMessage = IgnoreReason("bot_message")
}

/// Something that came with a message besides text: media, a document, a location, a contact card.
public struct Attachment: Sendable, Codable, Equatable {
    /// `image`, `audio`, `video`, `document`, `sticker`, `location`, `contact`, `call`, or the platform's own word.
    public var kind: String
    public var mimeType: String?
    public var fileName: String?
    public var size: Int?
    /// Where it can be fetched (it may need the adapter's credentials), when the platform says.
    public var url: String?
    /// The platform's id for the media, for fetching it through the platform's API later.
    public var platformID: String?
    /// Anything else worth showing: coordinates, a contact's name and number, a sticker's emoji.
    public var details: [String: String]?
    /// The bytes themselves, when the channel delivered them with the message (an e-mail part).
    /// The store keeps them in the same transaction as the message, once per distinct content, and
    /// the agent API serves them; they are never part of the message's JSON.
    public var content: Data?
    /// Hex SHA-256 of the stored content (set by the store when it keeps ``content``).
    public var sha256: String?
    /// `true`: the content is stored and can be downloaded; `false`: the channel delivered it but
    /// it was not kept (``notStoredReason`` says why, e.g. over the adapter's size limit); nil: the
    /// channel gave no content (only a URL or a platform id, if anything).
    public var stored: Bool?
    public var notStoredReason: String?
    /// Where fetching the content stands: `fetching` (a job will bring it; `stored` is false until
    /// then), `failed` (given up; ``notStoredReason`` says why), nil otherwise.
    public var state: String?

    enum CodingKeys: String, CodingKey {
        case kind, size, url, details, sha256, stored, state
        case mimeType = "mime_type"
        case fileName = "file_name"
        case platformID = "platform_id"
        case notStoredReason = "reason"
    }

    public init(
        kind: String, mimeType: String? = nil, fileName: String? = nil, size: Int? = nil, url: String? = nil,
        platformID: String? = nil, details: [String: String]? = nil, content: Data? = nil
    ) {
        self.kind = kind
        self.mimeType = mimeType
        self.fileName = fileName
        self.size = size
        self.url = url
        self.platformID = platformID
        self.details = details
        self.content = content
    }

    /// What the store records once ``content`` is written: its digest and size, the bytes dropped
    /// (they live in the content table from then on).
    public func keptAsStored() -> (attachment: Attachment, sha256: String, content: Data)? {
        guard let content else { return nil }
        var kept = self
        kept.content = nil
        kept.sha256 = Self.sha256Hex(content)
        kept.size = content.count
        kept.stored = true
        kept.notStoredReason = nil
        kept.state = nil
        return (kept, kept.sha256!, content)
    }

    /// Hex SHA-256: the key content is stored under, so the same file sent twice is stored once.
    public static func sha256Hex(_ bytes: some DataProtocol) -> String {
        Signatures.hex(SHA256.hash(data: bytes))
    }
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
    /// What kind of contact a message is; it decides whether clocks start and who is told.
    public enum Kind: String, Sendable {
        /// The customer reached out: threads, assigns, starts the response clock, may be acknowledged.
        case contact
        /// Written by a machine on the customer's side (auto-reply, out-of-office, bounce): recorded
        /// in the thread, but it never reopens, reassigns, starts a clock or gets an acknowledgement.
        case automated
        /// Something that happened on the channel that is not the customer writing (an agent's
        /// outbound call): recorded as an `event` in the customer's thread.
        case activity
    }

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
    /// Media and other non-text content; nothing is dropped because it is not text.
    public var attachments: [Attachment]
    public var kind: Kind
    /// External ids of earlier messages this one answers, nearest first (e-mail's `In-Reply-To`,
    /// then `References` newest to oldest). The core matches them against the messages it stored
    /// and the ids our replies were sent with, to tell which message is answered.
    public var references: [String]
    /// The customer is waiting for a call back (a missed or abandoned call): the core opens a
    /// callback promise for the owner, due per the adapter's `callback_within`.
    public var requestsCallback: Bool
    /// Why no automatic answer (an acknowledgement) may go to this sender, when the adapter knows
    /// one: the sender could not be verified (an e-mail without an SPF/DKIM/DMARC pass from the
    /// trusted MTA), so mailing them would let a stranger make the business mail anyone. Nil: the
    /// core's own rules decide.
    public var noAutoReply: String?
    /// How urgent the channel says this message is (nil: it does not say). A message that starts a
    /// request sets the conversation's priority; a later one can only raise it.
    public var priority: Priority?
    /// Other addresses the channel says this same sender has (WhatsApp's business-scoped user id
    /// next to the phone number): the core links each to the customer once the message is stored,
    /// unless another customer holds it already (then an agent decides: merge).
    public var alsoKnownAs: [ChannelIdentity] = []

    public init(
        externalID: String, from: ChannelIdentity, customerName: String? = nil, text: String,
        sentAt: Date? = nil, threadRef: String? = nil, metadata: [String: String] = [:], attachments: [Attachment] = [],
        kind: Kind = .contact, references: [String] = [], requestsCallback: Bool = false, noAutoReply: String? = nil,
        priority: Priority? = nil
    ) {
        self.priority = priority
        self.noAutoReply = noAutoReply
        self.kind = kind
        self.references = references
        self.requestsCallback = requestsCallback
        self.externalID = externalID
        self.from = from
        self.customerName = customerName
        self.text = text
        self.sentAt = sentAt
        self.threadRef = threadRef
        self.metadata = metadata
        self.attachments = attachments
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
