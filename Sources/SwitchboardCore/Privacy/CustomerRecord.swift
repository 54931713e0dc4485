import Foundation
import SwitchboardAdapterAPI

/// Everything held about one customer, as handed to them (right of access): `customer.json` in
/// the export, and the source of its HTML page.
public struct CustomerRecord: Sendable, Codable, Equatable {
    public struct Customer: Sendable, Codable, Equatable {
        public var id: Int64
        public var name: String?
        public var createdAt: Date
        public var erasedAt: Date?
        public var contacts: Int
        public var firstContactAt: Date?
        public var lastContactAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, name, contacts
            case createdAt = "created_at"
            case erasedAt = "erased_at"
            case firstContactAt = "first_contact_at"
            case lastContactAt = "last_contact_at"
        }
    }

    public struct Identity: Sendable, Codable, Equatable {
        public var channel: String
        public var adapter: String
        public var address: String
        public var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case channel, adapter, address
            case createdAt = "created_at"
        }
    }

    public struct Merge: Sendable, Codable, Equatable {
        public var survivor: Int64
        public var absorbed: Int64
        public var mergedBy: String
        public var mergedAt: Date
        public var undoneBy: String?
        public var undoneAt: Date?

        enum CodingKeys: String, CodingKey {
            case survivor, absorbed
            case mergedBy = "merged_by"
            case mergedAt = "merged_at"
            case undoneBy = "undone_by"
            case undoneAt = "undone_at"
        }
    }

    public struct File: Sendable, Codable, Equatable {
        /// The attachment's position in its message (the agent API's `/messages/{id}/attachments/{index}`).
        public var index: Int
        public var kind: String
        public var mimeType: String?
        public var fileName: String?
        public var size: Int?
        public var sha256: String?
        /// Where the file is in the export (`attachments/…`); absent when its content is not kept.
        public var path: String?
        public var details: [String: String]?

        enum CodingKeys: String, CodingKey {
            case index, kind, size, sha256, path, details
            case mimeType = "mime_type"
            case fileName = "file_name"
        }
    }

    public struct Message: Sendable, Codable, Equatable {
        public var id: Int64
        /// `inbound` (the customer), `outbound` (a reply), `note` (internal), `event`.
        public var direction: MessageDirection
        /// Notes and events are the business's own records, never sent to the customer.
        public var `internal`: Bool
        public var adapter: String?
        public var channel: String?
        public var author: String?
        public var body: String
        public var originalBody: String?
        public var createdAt: Date
        public var sentAt: Date?
        public var editedAt: Date?
        public var externalID: String?
        public var inReplyTo: Int64?
        public var delivery: DeliveryInfo?
        public var metadata: [String: String]?
        public var attachments: [File]?

        enum CodingKeys: String, CodingKey {
            case id, direction, `internal`, adapter, channel, author, body, delivery, metadata, attachments
            case originalBody = "original_body"
            case createdAt = "created_at"
            case sentAt = "sent_at"
            case editedAt = "edited_at"
            case externalID = "external_id"
            case inReplyTo = "in_reply_to"
        }
    }

    public struct Conversation: Sendable, Codable, Equatable {
        public var id: Int64
        public var reference: String
        public var status: ConversationStatus
        public var owner: String?
        public var assignee: String?
        public var team: String?
        public var mergedInto: Int64?
        public var tags: [String]
        public var messages: [Message]

        enum CodingKeys: String, CodingKey {
            case id, reference, status, owner, assignee, team, tags, messages
            case mergedInto = "merged_into"
        }
    }

    public var format = "switchboard-customer-record"
    public var version = 1
    public var exportedAt: Date
    public var exportedBy: String
    public var customer: Customer
    public var identities: [Identity]
    /// Customers merged into this one.
    public var absorbedCustomers: [Int64]
    public var merges: [Merge]
    public var conversations: [Conversation]
    /// The context providers' data as last shown to agents (what the gateway holds in memory; an
    /// export by the command line has none).
    public var context: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case format, version, customer, identities, merges, conversations, context
        case exportedAt = "exported_at"
        case exportedBy = "exported_by"
        case absorbedCustomers = "absorbed_customers"
    }

    /// Every file of the record whose content is kept: (message, index, path in the export).
    public var files: [(message: Int64, index: Int, path: String)] {
        conversations.flatMap(\.messages).flatMap { message in
            (message.attachments ?? []).compactMap { file in file.path.map { (message.id, file.index, $0) } }
        }
    }
}

/// Builds a customer's record from the store, and fetches the attachment files it names.
public struct CustomerRecords: Sendable {
    let store: any Store
    let references: ConversationReferences
    let context: CustomerContext?
    let now: @Sendable () -> Date

    public init(
        store: any Store, references: ConversationReferences, context: CustomerContext? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.references = references
        self.context = context
        self.now = now
    }

    /// The whole record of customer `id` (404 when there is none).
    public func record(_ id: Int64, exportedBy: String) async throws -> CustomerRecord {
        guard let facts = try await store.customerRecordFacts(id), let detail = try await store.customer(id, now: now()) else {
            throw ServiceError.notFound("customer \(id)")
        }
        var conversations: [CustomerRecord.Conversation] = []
        for conversationID in facts.conversations {
            guard let conversation = try await store.conversation(conversationID) else { continue }
            conversations.append(
                CustomerRecord.Conversation(
                    id: conversation.id, reference: references.format(conversation.id), status: conversation.status, owner: conversation.owner,
                    assignee: conversation.assignee, team: conversation.team, mergedInto: conversation.mergedInto, tags: conversation.tags,
                    messages: conversation.messages.map(Self.message)))
        }
        let shown = context?.cached(facts.id) ?? [:]
        return CustomerRecord(
            exportedAt: now(), exportedBy: exportedBy,
            customer: CustomerRecord.Customer(
                id: facts.id, name: facts.name, createdAt: facts.createdAt, erasedAt: facts.erasedAt, contacts: detail.contacts,
                firstContactAt: detail.firstContactAt, lastContactAt: detail.lastContactAt),
            identities: facts.identities.map {
                CustomerRecord.Identity(channel: $0.channel, adapter: $0.adapter, address: $0.address, createdAt: $0.createdAt)
            },
            absorbedCustomers: facts.absorbed,
            merges: facts.merges.map {
                CustomerRecord.Merge(
                    survivor: $0.survivor, absorbed: $0.absorbed, mergedBy: $0.mergedBy, mergedAt: $0.mergedAt, undoneBy: $0.undoneBy,
                    undoneAt: $0.undoneAt)
            },
            conversations: conversations, context: shown)
    }

    /// The bytes of an attachment the record names.
    public func content(message: Int64, index: Int) async throws -> Data? {
        try await store.attachment(message: message, index: index)?.content
    }

    static func message(_ m: MessageRecord) -> CustomerRecord.Message {
        let files = m.attachments.map { list in
            list.enumerated().map { index, a in
                CustomerRecord.File(
                    index: index, kind: a.kind, mimeType: a.mimeType, fileName: a.fileName, size: a.size, sha256: a.sha256,
                    path: a.stored == true ? filePath(message: m.id, index: index, name: a.fileName) : nil, details: a.details)
            }
        }
        return CustomerRecord.Message(
            id: m.id, direction: m.direction, internal: m.direction == .note || m.direction == .event, adapter: m.adapter,
            channel: m.channel, author: m.author, body: m.body, originalBody: m.originalBody, createdAt: m.createdAt, sentAt: m.sentAt,
            editedAt: m.editedAt, externalID: m.externalID, inReplyTo: m.inReplyTo, delivery: m.delivery, metadata: m.metadata,
            attachments: files)
    }

    /// `attachments/<message>-<index>-<name>`: unique, and a name safe in any zip tool and file system.
    static func filePath(message: Int64, index: Int, name: String?) -> String {
        let base = (name ?? "file").unicodeScalars.map { s -> Character in
            (s.isASCII && (CharacterSet.alphanumerics.contains(s) || ".-_".unicodeScalars.contains(s))) ? Character(s) : "_"
        }
        var safe = String(String(base).prefix(80))
        while safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        return "attachments/\(message)-\(index)-\(safe.isEmpty ? "file" : safe)"
    }
}
