import Foundation
import SwitchboardAdapterAPI

/// What an engine reads, inside the erasure's transaction, for ``ErasurePlanner``.
public struct ErasureSnapshot: Sendable, Equatable {
    public struct Customer: Sendable, Equatable {
        public var id: Int64
        public var mergedInto: Int64?
        public var erasedAt: Date?

        public init(id: Int64, mergedInto: Int64?, erasedAt: Date?) {
            self.id = id
            self.mergedInto = mergedInto
            self.erasedAt = erasedAt
        }
    }

    /// The customer asked for (nil: no such customer).
    public var customer: Customer?
    /// Customers merged into it (directly or through others): the same person.
    public var absorbed: [Int64]
    public var identities: [Int64]
    public var conversations: [Int64]
    /// Every message of those conversations.
    public var messages: [RedactionCandidate]

    public init(customer: Customer?, absorbed: [Int64], identities: [Int64], conversations: [Int64], messages: [RedactionCandidate]) {
        self.customer = customer
        self.absorbed = absorbed
        self.identities = identities
        self.conversations = conversations
        self.messages = messages
    }
}

/// What an erasure changes, in one transaction.
public struct ErasurePlan: Sendable, Equatable {
    /// Customers whose name goes and who are marked erased.
    public var customers: [Int64]
    /// Identities deleted: a later message from the same address starts a new customer.
    public var identities: [Int64]
    public var messages: [MessageRedaction]
    /// Replies still queued, taken out of the outbox (their delivery is in ``MessageRedaction``).
    public var cancelledDeliveries: [Int64]
    /// References given up per stored content; a content whose count reaches zero is deleted.
    public var releasedContents: [String: Int]
    /// The conversations, kept as anonymous records.
    public var conversations: [Int64]
    /// The erasure's own audit entry (who, when, why; never what).
    public var audit: AuditEvent

    public init(
        customers: [Int64], identities: [Int64], messages: [MessageRedaction], cancelledDeliveries: [Int64], releasedContents: [String: Int],
        conversations: [Int64], audit: AuditEvent
    ) {
        self.customers = customers
        self.identities = identities
        self.messages = messages
        self.cancelledDeliveries = cancelledDeliveries
        self.releasedContents = releasedContents
        self.conversations = conversations
        self.audit = audit
    }
}

/// Decides what erasing a customer removes. Engines read the snapshot, run this, and write exactly
/// the plan; none of them decides what is personal.
public enum ErasurePlanner {
    /// The error text a cancelled reply shows.
    public static let cancelledReply = "not sent: the customer's data was erased"
    /// What redacted messages are marked with.
    public static let reason = "erased"

    public static func plan(_ snapshot: ErasureSnapshot, customer id: Int64, by agent: String, reason why: String) throws -> ErasurePlan {
        guard let customer = snapshot.customer else { throw ServiceError.notFound("customer \(id)") }
        if let survivor = customer.mergedInto {
            throw ServiceError(
                status: 409, code: "merged_customer",
                message: "customer \(id) was merged into customer \(survivor): erase customer \(survivor), which holds the merged record")
        }
        if customer.erasedAt != nil {
            throw ServiceError(status: 409, code: "already_erased", message: "customer \(id) was erased already")
        }
        var released: [String: Int] = [:]
        var messages: [MessageRedaction] = []
        var cancelled: [Int64] = []
        for message in snapshot.messages {
            for sha in PersonalData.contentReferences(message.attachments) { released[sha, default: 0] += 1 }
            var redaction = PersonalData.redact(message, reason: reason)
            if message.queued {
                cancelled.append(message.id)
                redaction.cancelledDelivery = DeliveryInfo(state: .failed, attempts: 0, error: cancelledReply)
            }
            messages.append(redaction)
        }
        return ErasurePlan(
            customers: [id] + snapshot.absorbed, identities: snapshot.identities, messages: messages, cancelledDeliveries: cancelled,
            releasedContents: released, conversations: snapshot.conversations,
            audit: AuditEvent(
                .customerErased, actor: agent, subject: "customer:\(id)",
                details: [
                    "reason": why, "conversations": snapshot.conversations.map(String.init).joined(separator: ","),
                    "messages": String(messages.count),
                ]))
    }
}

/// What an erasure did, for the caller (and whatever keeps derived copies, such as a search index).
public struct ErasureOutcome: Sendable, Equatable {
    public var customers: [Int64]
    public var conversations: [Int64]
    public var messages: Int
    public var identities: Int
    public var cancelledDeliveries: Int
    /// Stored contents deleted (no other message referred to them).
    public var deletedContents: Int
    public var audit: AuditEntry

    public init(
        customers: [Int64], conversations: [Int64], messages: Int, identities: Int, cancelledDeliveries: Int, deletedContents: Int,
        audit: AuditEntry
    ) {
        self.customers = customers
        self.conversations = conversations
        self.messages = messages
        self.identities = identities
        self.cancelledDeliveries = cancelledDeliveries
        self.deletedContents = deletedContents
        self.audit = audit
    }
}
