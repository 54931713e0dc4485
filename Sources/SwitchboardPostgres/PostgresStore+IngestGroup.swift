import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// What one group-commit transaction knows about its messages, read up front in three statements
/// instead of three or four round trips per message: which (adapter, external id) pairs are stored
/// already, which identities belong to whom, and the known customers' conversations (locked, in id
/// order, so concurrent gateways lock them in the same order). Rows this transaction writes are
/// added as it goes, so a later message of the same group sees an earlier one (a new customer
/// writing twice, a conversation just reassigned).
///
/// The group's conversation rows and contact counters are kept here as the plans change them and
/// written once, at the end (``flush(_:)``), instead of once per message; message rows go through
/// ``PostgresMessageBuffer``. Whatever reads those tables inside the transaction flushes first.
///
/// Only facts that cannot become false inside the transaction are cached. Another gateway adding
/// the same message or identity meanwhile is caught by the unique constraints: the INSERT fails, and
/// the whole transaction is retried, finding it.
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

    /// A group holding the agents' rows shared turns out to route: it starts again, taking them to update.
    struct AgentsNotLocked: Error {}

    /// How a group holds the agents' rows, for its whole transaction. `update` is what routing needs
    /// (and what merges, erasure and every other routing change take); `share` lets groups that only
    /// continue live conversations run side by side, while still waiting for, and holding off, any
    /// transaction that takes them to update: such a change lands wholly before or after the group.
    enum AgentsLock {
        case share, update
    }

    var loads: [String: AgentLoad]
    /// Whether this transaction holds the agents' rows to update: only then may a plan change loads.
    let agentsLocked: Bool
    /// Whether the group routes: a customer reaching out is new or reopens, or a plan changed a load.
    var routed = false
    /// The group's new message rows, written together.
    let messages: PostgresMessageBuffer
    /// By customer id; locked by this transaction.
    private var conversations: [Int64: ConversationState] = [:]
    /// Conversations changed and not written yet, by id.
    private var dirty: [Int64: ConversationState] = [:]
    /// Contacts counted and not written yet, by customer: how many, the first and the last time.
    private var contacts: [Int64: (count: Int64, first: Double, last: Double)] = [:]
    private(set) var stored: [StoredKey: StoredMessageRef] = [:]
    /// Conversations this group created, whose search cards it builds before it commits (migration 023).
    var newConversations: [Int64] = []
    private var identities: [IdentityKey: KnownCustomer] = [:]

    init(loads: [String: AgentLoad], agentsLocked: Bool, expected: Int = 1, newCustomers: Int = 1) {
        self.loads = loads
        self.agentsLocked = agentsLocked
        messages = PostgresMessageBuffer(expected: expected, newCustomers: newCustomers)
    }

    /// Reads, for every message of `items`, whether it is stored; the agents' loads, holding their rows
    /// as `agents` says; whose each sender's identity is; and the known customers' conversations,
    /// locked. The lock order is always agents first, then conversations. A group holding the agents'
    /// rows shared in which a customer reaching out is new, or their conversation closed (a routing
    /// decision is coming), throws ``AgentsNotLocked`` before it writes anything.
    static func prefetch(
        _ db: PGSession, items: [IngestItem], normalizer: IdentityNormalizer, agents: AgentsLock
    ) async throws -> IngestGroup {
        let locked = agents == .update
        var contacts: [IdentityKey] = []
        var senders: Set<IdentityKey> = []
        var adapters: [String] = []
        var externalIDs: [String] = []
        var channels: [String] = []
        var addresses: [String] = []
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
            let key = IdentityKey(channel: identity.channel, address: identity.address)
            senders.insert(key)
            if message.kind == .contact { contacts.append(key) }
        }
        let loads = try await PostgresStore.agentLoads(db, holding: agents)
        guard !adapters.isEmpty else { return IngestGroup(loads: loads, agentsLocked: locked) }
        var stored: [StoredKey: StoredMessageRef] = [:]
        var identities: [IdentityKey: KnownCustomer] = [:]
        var settled: Set<IdentityKey> = []
        // One lookup per partial unique index (`direction = 'inbound'`, `= 'event'`): a `direction IN (…)`
        // filter cannot use them and scans every message. Prepared, these statements run a plan made
        // without the arrays' contents: `LATERAL … LIMIT` keeps it one index probe per key, where a join
        // may be planned as a hash join over every message (or identity) when the statistics are stale.
        for row in try await db.prepared.rows(
            """
            SELECT m.adapter, m.external_id, m.direction, m.id, m.conversation_id
            FROM (SELECT DISTINCT a, e FROM unnest(\(adapters)::text[], \(externalIDs)::text[]) AS u(a, e)) AS k
            CROSS JOIN LATERAL (
                (SELECT adapter, external_id, direction, id, conversation_id FROM messages
                 WHERE adapter = k.a AND external_id = k.e AND direction = 'inbound')
                UNION ALL
                (SELECT adapter, external_id, direction, id, conversation_id FROM messages
                 WHERE adapter = k.a AND external_id = k.e AND direction = 'event')
                LIMIT 2
            ) AS m
            """)
        {
            let direction: String = try row["direction"]
            stored[StoredKey(adapter: try row["adapter"], externalID: try row["external_id"], event: direction == "event")] =
                StoredMessageRef(message: try row["id"], conversation: try row["conversation_id"])
        }
        for row in try await db.prepared.rows(
            """
            SELECT i.channel, i.address, i.id, i.customer_id, c.name, c.last_contact_at, v.status IN ('open', 'pending') AS settled
            FROM (SELECT DISTINCT ch, ad FROM unnest(\(channels)::text[], \(addresses)::text[]) AS u(ch, ad)) AS k
            CROSS JOIN LATERAL (SELECT id, customer_id, channel, address FROM identities WHERE channel = k.ch AND address = k.ad LIMIT 1) AS i
            JOIN customers c ON c.id = i.customer_id
            LEFT JOIN conversations v ON v.customer_id = i.customer_id
            """)
        {
            let key = IdentityKey(channel: try row["channel"], address: try row["address"])
            identities[key] = KnownCustomer(
                id: try row["customer_id"], identity: try row["id"], name: try row["name"], lastContactAt: try row.date("last_contact_at"))
            if try row["settled"] as Bool? == true { settled.insert(key) }
        }
        // A new customer, or one whose conversation is closed, is routed: the plan will most likely
        // give someone the work. A live conversation mostly stays where it is (with its assignee, or
        // waiting while nobody is free); when its plan does change a load after all (the assignee
        // is away, an agent became free for a waiting one), the group starts again from `apply`.
        let routing = contacts.contains { !settled.contains($0) }
        if !locked, routing { throw AgentsNotLocked() }
        var group = IngestGroup(
            loads: loads, agentsLocked: locked, expected: items.count, newCustomers: senders.subtracting(identities.keys).count)
        group.routed = routing
        group.stored = stored
        group.identities = identities
        let customers = Array(Set(identities.values.map(\.id)))
        if !customers.isEmpty {
            for row in try await db.prepared.rows(
                """
                SELECT \(unescaped: PostgresStore.conversationColumns) FROM conversations WHERE customer_id = ANY(\(customers))
                ORDER BY id FOR UPDATE
                """)
            {
                let state = try PostgresStore.conversationState(row)
                group.conversations[state.customerID] = state
            }
        }
        return group
    }

    /// The customer's conversation as this transaction left it, locked (read now if the group did not know it yet).
    mutating func conversation(_ db: PGSession, customer: Int64) async throws -> ConversationState? {
        if let known = conversations[customer] { return known }
        guard
            let row = try await db.prepared.row(
                "SELECT \(unescaped: PostgresStore.conversationColumns) FROM conversations WHERE customer_id = \(customer) FOR UPDATE")
        else { return nil }
        let found = try PostgresStore.conversationState(row)
        conversations[customer] = found
        return found
    }

    /// A conversation by id: the group's copy when it has one.
    func conversation(_ db: PGSession, id: Int64) async throws -> ConversationState? {
        if let known = dirty[id] ?? conversations.values.first(where: { $0.id == id }) { return known }
        return try await db.prepared.row("SELECT \(unescaped: PostgresStore.conversationColumns) FROM conversations WHERE id = \(id)")
            .map(PostgresStore.conversationState)
    }

    /// Records a plan's conversation: written at ``flush(_:)`` unless `written` (just inserted).
    mutating func noteConversation(_ state: ConversationState, written: Bool) {
        conversations[state.customerID] = state
        if written { dirty[state.id] = nil } else { dirty[state.id] = state }
    }

    /// Counts one contact of `customer` at `at`, written at ``flush(_:)``.
    mutating func countContact(customer: Int64, identity: ChannelIdentity, at: Double) {
        if var c = contacts[customer] {
            c.count += 1
            c.last = at
            contacts[customer] = c
        } else {
            contacts[customer] = (1, at, at)
        }
        let key = IdentityKey(channel: identity.channel, address: identity.address)
        // Only when the identity is that customer's: a participant's mail joining another customer's
        // conversation counts for that customer, not for the participant.
        if identities[key]?.id == customer { identities[key]?.lastContactAt = Date(epoch: at) }
    }

    /// The stored twin of an inbound message (or, for call activity, of either kind).
    func storedTwin(adapter: String, externalID: String, event: Bool) -> StoredMessageRef? {
        stored[StoredKey(adapter: adapter, externalID: externalID, event: false)]
            ?? (event ? stored[StoredKey(adapter: adapter, externalID: externalID, event: true)] : nil)
    }

    mutating func noteStored(adapter: String, externalID: String, event: Bool, _ ref: StoredMessageRef) {
        stored[StoredKey(adapter: adapter, externalID: externalID, event: event)] = ref
    }

    /// The customer behind `identity`, as this transaction knows them.
    func customer(_ identity: ChannelIdentity) -> KnownCustomer? {
        identities[IdentityKey(channel: identity.channel, address: identity.address)]
    }

    mutating func noteCustomer(_ identity: ChannelIdentity, _ customer: KnownCustomer) {
        identities[IdentityKey(channel: identity.channel, address: identity.address)] = customer
    }

    /// Writes the buffered messages, contact counters and conversations: one statement (after the new
    /// customers' own, which the others refer to).
    mutating func flush(_ db: PGSession) async throws {
        var writes: [PGWrite] = []
        if let insert = try await messages.flushAllButLast(db) { writes.append(insert) }
        if !contacts.isEmpty {
            let custs = contacts.sorted { $0.key < $1.key }
            contacts.removeAll(keepingCapacity: true)
            writes.append { query, prefix, suffix in
                var arrays = PGRowArrays(rows: custs.count, continuing: query)
                let ids = arrays.column("id", "bigint", custs.map(\.key))
                arrays.column("n", "bigint", custs.map(\.value.count))
                arrays.column("first_at", "float8", custs.map(\.value.first))
                arrays.column("last_at", "float8", custs.map(\.value.last))
                // `c.id = ANY(…)` as well: the prepared plan then reads the customers by key, never all of them.
                return arrays.statement(
                    prefix + """
                        UPDATE customers c SET contacts = c.contacts + v.n, first_contact_at = COALESCE(c.first_contact_at, v.first_at),
                            last_contact_at = v.last_at FROM (
                        """, ") AS v WHERE c.id = v.id AND c.id = ANY(\(ids)::bigint[])" + suffix)
            }
        }
        if !dirty.isEmpty {
            writes.append(PostgresStore.conversationsUpdate(Array(dirty.values)))
            dirty.removeAll(keepingCapacity: true)
        }
        if let first = writes.first { try await db.prepared.execute(PGQuery.joined(first, Array(writes.dropFirst()))) }
    }
}
