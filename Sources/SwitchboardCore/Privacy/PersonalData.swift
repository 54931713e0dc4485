import Foundation
import SwitchboardAdapterAPI

/// What of a message is personal data, decided once for every engine, erasure and retention alike.
///
/// A redacted message keeps what counts and reports read — its row, conversation, direction,
/// adapter, channel, author (an agent), times and delivery state — and loses everything the
/// customer wrote or that identifies them: the text (and the first version of an edited text),
/// the address and channel thread it came from, the channel's message id, every metadata value
/// except the few below, and its attachments' names, links, details and contents.
public enum PersonalData {
    /// Metadata that says what kind of message it was, never who or what: kept so contact counts
    /// (automated replies are not contacts), the outbox's purpose and merge records stay true.
    public static let keptMetadataKeys: Set<String> = ["automated", "purpose", "merge", "edited"]
    /// Set on every redacted message, so the API and the console can say why it is empty.
    public static let redactedKey = "redacted"

    /// What a message keeps once redacted.
    public static func redact(_ message: RedactionCandidate, reason: String) -> MessageRedaction {
        var metadata = (message.metadata ?? [:]).filter { keptMetadataKeys.contains($0.key) }
        metadata[redactedKey] = reason
        let attachments = message.attachments.map { $0.map { redactAttachment($0, reason: reason) } }
        return MessageRedaction(id: message.id, metadata: metadata, attachments: attachments, removeText: true)
    }

    /// An attachment without anything that identifies the customer or its content: its kind,
    /// type and size stay (so a record still says "a 2 MB PDF was sent"), marked not stored.
    public static func redactAttachment(_ attachment: Attachment, reason: String) -> Attachment {
        var kept = Attachment(kind: attachment.kind, mimeType: attachment.mimeType, size: attachment.size)
        if attachment.stored != nil || attachment.content != nil {
            kept.stored = false
            kept.notStoredReason = reason
        }
        return kept
    }

    /// An attachment whose content is removed (retention of attachments): the message's text and
    /// the attachment's name stay, the bytes and the link to them go.
    public static func dropContent(_ attachment: Attachment, reason: String) -> Attachment {
        guard attachment.stored == true else { return attachment }
        var kept = attachment
        kept.sha256 = nil
        kept.stored = false
        kept.notStoredReason = reason
        return kept
    }

    /// The stored contents `attachments` refer to, once per reference.
    public static func contentReferences(_ attachments: [Attachment]?) -> [String] {
        (attachments ?? []).compactMap { $0.stored == true ? $0.sha256 : nil }
    }
}

/// A message as erasure and retention see it before deciding.
public struct RedactionCandidate: Sendable, Equatable {
    public var id: Int64
    public var conversationID: Int64
    public var direction: MessageDirection
    public var adapter: String?
    public var createdAt: Date
    public var metadata: [String: String]?
    public var attachments: [Attachment]?
    public var deliveryState: DeliveryState?
    /// Still waiting in the outbox.
    public var queued: Bool
    /// Already redacted (by an earlier erasure or retention pass).
    public var redacted: Bool

    public init(
        id: Int64, conversationID: Int64, direction: MessageDirection, adapter: String?, createdAt: Date, metadata: [String: String]?,
        attachments: [Attachment]?, deliveryState: DeliveryState?, queued: Bool, redacted: Bool
    ) {
        self.id = id
        self.conversationID = conversationID
        self.direction = direction
        self.adapter = adapter
        self.createdAt = createdAt
        self.metadata = metadata
        self.attachments = attachments
        self.deliveryState = deliveryState
        self.queued = queued
        self.redacted = redacted
    }
}

/// What an engine writes to one message.
public struct MessageRedaction: Sendable, Equatable {
    public var id: Int64
    /// The metadata it keeps (replaces the old).
    public var metadata: [String: String]?
    /// The attachments it keeps (replaces the old); nil: none.
    public var attachments: [Attachment]?
    /// Text, original text, address, channel thread, channel message id and the delivery's error
    /// (a mail server's answer names the address) are blanked, and the message marked redacted. False: only metadata and attachments change (attachment retention).
    public var removeText: Bool
    /// A queued reply taken out of the outbox: its delivery becomes this.
    public var cancelledDelivery: DeliveryInfo?

    public init(id: Int64, metadata: [String: String]?, attachments: [Attachment]?, removeText: Bool, cancelledDelivery: DeliveryInfo? = nil) {
        self.id = id
        self.metadata = metadata
        self.attachments = attachments
        self.removeText = removeText
        self.cancelledDelivery = cancelledDelivery
    }
}
