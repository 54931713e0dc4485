import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// What one group-commit transaction knows up front about its messages, read in two statements
/// instead of two or three round trips per message: which (adapter, external id) pairs are stored
/// already, and which identities belong to whom. Rows this transaction writes are added as it goes,
/// so a later message of the same group sees an earlier one (a new customer writing twice).
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

    var loads: [String: AgentLoad]
    private(set) var stored: [StoredKey: (message: Int64, conversation: Int64)] = [:]
    private(set) var identities: [IdentityKey: KnownIdentity] = [:]

    init(loads: [String: AgentLoad]) {
        self.loads = loads
    }

    /// Reads, for every message of `items`, whether it is stored and whose its sender's identity is.
    static func prefetch(
        _ db: PGSession, items: [IngestItem], normalizer: IdentityNormalizer, loads: [String: AgentLoad]
    ) async throws -> IngestGroup {
        var group = IngestGroup(loads: loads)
        var adapters: [String] = [], externalIDs: [String] = []
        var channels: [String] = [], addresses: [String] = []
        for item in items {
            let message: InboundMessage
            switch item.event {
            case .message(let m), .edit(let m, _): message = m
            case .deliveryStatus: continue
            }
            adapters.append(item.adapter)
            externalIDs.append(message.externalID)
            let identity = normalizer.normalize(message.from)
            channels.append(identity.channel)
            addresses.append(identity.address)
        }
        guard !adapters.isEmpty else { return group }
        for row in try await db.rows("""
            SELECT adapter, external_id, direction, id, conversation_id FROM messages
            WHERE direction IN ('inbound', 'event')
                AND (adapter, external_id) IN (SELECT * FROM unnest(\(adapters)::text[], \(externalIDs)::text[]))
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
        return group
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
