import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// What one group-commit transaction knows up front about its messages, read in three statements
/// instead of three or four round trips per message: which (adapter, external id) pairs are stored
/// already, which identities belong to whom, and the known customers' conversations (locked, in id
/// order, so concurrent gateways lock them in the same order). Rows this transaction writes are
/// added as it goes, so a later message of the same group sees an earlier one (a new customer
/// writing twice, a conversation just reassigned).
///
/// Only facts that cannot become false inside the transaction are cached. Another gateway adding
/// the same message or identity meanwhile is caught by the unique constraints, as before: the
/// INSERT fails or does nothing, and the slow path (or the whole-transaction retry) takes over.
struct IngestGroup {
    struct StoredKey: Hashable {
        let adapter: String
        let externalID: String
        let event: Bool
    }

    struct IdentityKey: Hashable {
        let channel: String
        let address: String
    }

    struct KnownIdentity {
        let customer: Int64
        let identity: Int64
        var unnamed: Bool
    }

    /// The routing state of a customer's conversation, as this transaction left it.
    struct Conversation {
        let id: Int64
        var status: String
        var owner: String?
        var assignee: String?
        let team: String?
        let answeredAt: Double?
        var resolutionLeft: Double?
    }

    var loads: [String: AgentLoad]
    /// The group's new message rows, written together.
    let messages: PostgresMessageBuffer
    /// The group's clock and contact bookkeeping, written together.
    let counters = PostgresCounterBuffer()
    /// By customer id; locked by this transaction.
    private var conversations: [Int64: Conversation] = [:]
    private(set) var stored: [StoredKey: (message: Int64, conversation: Int64)] = [:]
    private(set) var identities: [IdentityKey: KnownIdentity] = [:]

    init(loads: [String: AgentLoad], expected: Int = 1) {
        self.loads = loads
        messages = PostgresMessageBuffer(expected: expected)
    }

    /// Reads, for every message of `items`, whether it is stored and whose its sender's identity is.
    static func prefetch(
        _ db: PGSession, items: [IngestItem], normalizer: IdentityNormalizer, loads: [String: AgentLoad]
    ) async throws -> IngestGroup {
        var group = IngestGroup(loads: loads, expected: items.count)
        var adapters: [String] = [], externalIDs: [String] = []
        var channels: [String] = [], addresses: [String] = []
        for item in items {
            let message: InboundMessage
            switch item.event {
            case .message(let m), .edit(let m, _): message = m
            case .deliveryStatus, .ignored: continue
            }
            adapters.append(item.adapter)
            externalIDs.append(message.externalID)
            let identity = normalizer.normalize(message.from)
            channels.append(identity.channel)
            addresses.append(identity.address)
        }
        guard !adapters.isEmpty else { return group }
        // One join per partial unique index (`direction = 'inbound'`, `= 'event'`): a `direction IN (…)`
        // filter cannot use them and scans every message.
        for row in try await db.rows("""
            SELECT m.adapter, m.external_id, m.direction, m.id, m.conversation_id
            FROM unnest(\(adapters)::text[], \(externalIDs)::text[]) AS k(adapter, external_id)
            JOIN messages m ON m.adapter = k.adapter AND m.external_id = k.external_id AND m.direction = 'inbound'
            UNION ALL
            SELECT m.adapter, m.external_id, m.direction, m.id, m.conversation_id
            FROM unnest(\(adapters)::text[], \(externalIDs)::text[]) AS k(adapter, external_id)
            JOIN messages m ON m.adapter = k.adapter AND m.external_id = k.external_id AND m.direction = 'event'
            """)
        {
            let direction: String = try row["direction"]
            group.stored[StoredKey(adapter: try row["adapter"], externalID: try row["external_id"], event: direction == "event")] =
                (try row["id"], try row["conversation_id"])
        }
        for row in try await db.rows("""
            SELECT i.channel, i.address, i.id, i.customer_id, (c.name IS NULL) AS unnamed
            FROM identities i JOIN customers c ON c.id = i.customer_id
            WHERE (i.channel, i.address) IN (SELECT * FROM unnest(\(channels)::text[], \(addresses)::text[]))
            """)
        {
            group.identities[IdentityKey(channel: try row["channel"], address: try row["address"])] =
                KnownIdentity(customer: try row["customer_id"], identity: try row["id"], unnamed: try row["unnamed"])
        }
        let customers = Array(Set(group.identities.values.map(\.customer)))
        if !customers.isEmpty {
            for row in try await db.rows("""
                SELECT \(unescaped: conversationColumns) FROM conversations WHERE customer_id = ANY(\(customers)) ORDER BY id FOR UPDATE
                """)
            {
                group.conversations[try row["customer_id"]] = try Conversation(row)
            }
        }
        return group
    }

    private static let conversationColumns = "customer_id, id, status, owner, assignee, team, answered_at, resolution_left"

    /// The customer's conversation, locked (read now if the group did not know it yet).
    mutating func conversation(_ db: PGSession, customer: Int64) async throws -> Conversation? {
        if let known = conversations[customer] { return known }
        guard let row = try await db.row("""
            SELECT \(unescaped: Self.conversationColumns) FROM conversations WHERE customer_id = \(customer) FOR UPDATE
            """)
        else { return nil }
        let found = try Conversation(row)
        conversations[customer] = found
        return found
    }

    /// Records what this transaction changed (or created), for the group's next messages.
    mutating func noteConversation(customer: Int64, _ conversation: Conversation) {
        conversations[customer] = conversation
    }

    /// The stored twin of an inbound message (or, for call activity, of either kind).
    func storedTwin(adapter: String, externalID: String, event: Bool) -> (message: Int64, conversation: Int64)? {
        stored[StoredKey(adapter: adapter, externalID: externalID, event: false)]
            ?? (event ? stored[StoredKey(adapter: adapter, externalID: externalID, event: true)] : nil)
    }

    mutating func noteStored(adapter: String, externalID: String, event: Bool, message: Int64, conversation: Int64) {
        stored[StoredKey(adapter: adapter, externalID: externalID, event: event)] = (message, conversation)
    }

    /// The customer owning `identity`; fills in a missing name the first time one is known.
    mutating func identify(_ db: PGSession, identity: ChannelIdentity, name: String?) async throws -> (customer: Int64, identity: Int64)? {
        let key = IdentityKey(channel: identity.channel, address: identity.address)
        guard let known = identities[key] else { return nil }
        if let name, known.unnamed {
            try await db.execute("UPDATE customers SET name = \(name) WHERE id = \(known.customer) AND name IS NULL")
            identities[key]?.unnamed = false
        }
        return (known.customer, known.identity)
    }

    mutating func noteIdentity(_ identity: ChannelIdentity, customer: Int64, row: Int64, named: Bool) {
        identities[IdentityKey(channel: identity.channel, address: identity.address)] =
            KnownIdentity(customer: customer, identity: row, unnamed: !named)
    }
}

extension IngestGroup.Conversation {
    init(_ row: PGRow) throws {
        self.init(
            id: try row["id"], status: try row["status"], owner: try row["owner"], assignee: try row["assignee"],
            team: try row["team"], answeredAt: try row["answered_at"], resolutionLeft: try row["resolution_left"])
    }
}
