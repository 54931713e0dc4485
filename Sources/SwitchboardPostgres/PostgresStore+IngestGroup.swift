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

    init(loads: [String: AgentLoad], agentsLocked: Bool, messageIDs: [Int64] = [], newCustomers: [PostgresNewCustomers.IDs] = []) {
        self.loads = loads
        self.agentsLocked = agentsLocked
        messages = PostgresMessageBuffer(drawn: messageIDs, newCustomers: newCustomers)
    }

    /// Reads, for every message of `items`, whether it is stored; the agents' loads, holding their rows
    /// as `agents` says (and sets the transaction's `settings` with them); whose each sender's identity
    /// is; and the known customers' conversations, locked: two statements (``PostgresIngestPrefetch``).
    /// The lock order is always agents first, then conversations. A group holding the agents' rows
    /// shared in which a customer reaching out is new, or their conversation closed (a routing
    /// decision is coming), throws ``AgentsNotLocked`` before it writes anything.
    static func prefetch(
        _ db: PGSession, items: [IngestItem], normalizer: IdentityNormalizer, agents: AgentsLock, settings: String
    ) async throws -> IngestGroup {
        let locked = agents == .update
        var contacts: [IdentityKey] = []
        var senders: [IdentityKey] = []
        var messages: [(adapter: String, externalID: String)] = []
        for item in items {
            let message: InboundMessage
            switch item.event {
            case .message(let m), .edit(let m, _): message = m
            case .deliveryStatus, .ignored: continue
            }
            messages.append((item.adapter, message.externalID))
            let identity = normalizer.normalize(message.from)
            let key = IdentityKey(channel: identity.channel, address: identity.address)
            senders.append(key)
            if message.kind == .contact { contacts.append(key) }
        }
        let loads = try await PostgresStore.agentLoads(db, holding: agents, settings: settings)
        guard !messages.isEmpty else { return IngestGroup(loads: loads, agentsLocked: locked) }
        let read = try await PostgresIngestPrefetch.read(
            db, senders: senders, messages: messages, messageIDs: PostgresMessageBuffer.firstBlock(expected: items.count))
        var group = IngestGroup(loads: loads, agentsLocked: locked, messageIDs: read.messageIDs, newCustomers: read.newCustomers)
        var settled: Set<IdentityKey> = []
        for known in read.known {
            group.identities[known.key] = known.customer
            if known.settled { settled.insert(known.key) }
            if let conversation = known.conversation { group.conversations[conversation.customerID] = conversation }
        }
        // A new customer, or one whose conversation is closed, is routed: the plan will most likely
        // give someone the work. A live conversation mostly stays where it is (with its assignee, or
        // waiting while nobody is free); when its plan does change a load after all (the assignee
        // is away, an agent became free for a waiting one), the group starts again from `apply`.
        let routing = contacts.contains { !settled.contains($0) }
        if !locked, routing { throw AgentsNotLocked() }
        group.routed = routing
        group.stored = read.stored
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
