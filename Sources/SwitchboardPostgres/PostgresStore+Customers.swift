import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Customers as agents see and correct them: lookup, search, linking identities.
extension PostgresStore {
    public func customer(_ id: Int64, now: Date) async throws -> CustomerDetail? {
        try await read { db in try await Self.customerDetail(db, id: id, now: now) }
    }

    static func identities(_ db: PGSession, customer: Int64) async throws -> [IdentityRecord] {
        try await identities(db, customers: [customer])[customer] ?? []
    }

    /// The identities of several customers (a page of search results) in one statement, each
    /// customer's in the order they were added.
    static func identities(_ db: PGSession, customers: [Int64]) async throws -> [Int64: [IdentityRecord]] {
        var identities: [Int64: [IdentityRecord]] = [:]
        for row in try await db.rows(
            "SELECT customer_id, channel, adapter, address FROM identities WHERE customer_id = ANY(\(customers)) ORDER BY customer_id, id")
        {
            identities[try row["customer_id"], default: []].append(
                IdentityRecord(channel: try row["channel"], adapter: try row["adapter"], address: try row["address"]))
        }
        return identities
    }

    static func customerDetail(_ db: PGSession, id: Int64, now: Date) async throws -> CustomerDetail? {
        guard let cu = try await db.row("SELECT * FROM customers WHERE id = \(id)") else { return nil }
        let identities = try await identities(db, customer: id)
        let conversation = try await db.value("SELECT id FROM conversations WHERE customer_id = \(id)", as: Int64.self)
        var byChannel: [String: Int] = [:]
        var recent = 0
        if let conversation {
            // The totals are kept as messages arrive (migration 020); the last 30 days read only
            // those days' messages (the thread-order index), never the whole thread.
            byChannel = try await PostgresContactCounts.byAdapter(db, conversation: conversation)
            let since = now.epoch - 30 * 86400
            recent =
                try await db.value(
                    """
                    SELECT COUNT(*)::bigint FROM messages
                    WHERE conversation_id = \(conversation) AND created_at >= \(since) AND direction = 'inbound'
                        AND (metadata::jsonb ->> 'automated') IS NULL
                    """, as: Int.self) ?? 0
        }
        return CustomerDetail(
            id: id, name: try cu["name"], identities: identities, contacts: try cu["contacts"],
            firstContactAt: try cu.date("first_contact_at"), lastContactAt: try cu.date("last_contact_at"),
            contactsByChannel: byChannel, contactsLast30Days: recent, conversation: conversation, mergedInto: try cu["merged_into"])
    }

    public func searchCustomers(_ text: String, viewer: Viewer, limit: Int) async throws -> [CustomerSummary] {
        try await read { db in
            let needle = CustomerSearchNeedle(text).likePattern
            var binds = PostgresBindings()
            binds.append(needle)
            // The customers whose name or an address holds the fragment, each from its trigram
            // index (migration 024; a UNION, so that PostgreSQL can use both), ranked by last
            // contact from the row the index led to; only the page is joined to its conversation
            // (joining every candidate first, `García`'s 22,733 of 1.25 M customers, took 0.4 s).
            // An agent's candidates are checked in that order, until the page is full: `OFFSET 0`
            // keeps the check out of the sorted subquery, so the LIMIT stops it (at 10 M, `García`
            // as a20: the page among the first few thousand, not 22,733 checks).
            var visibility = ""
            if !viewer.isSupervisor {
                binds.append(viewer.agentID)
                visibility = """
                    WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = k.id AND (c.owner = $2 OR c.assignee = $2
                        OR EXISTS (SELECT 1 FROM conversation_grants g WHERE g.conversation_id = c.id AND g.agent_id = $2)))
                    """
            }
            binds.append(limit)
            let rows = try await db.rows(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT cu.id, cu.name, cu.contacts, cu.last_contact_at, c.id AS conversation, c.owner, c.assignee
                        FROM (
                            SELECT k.id, k.last_contact_at FROM (
                                SELECT m.id, m.last_contact_at FROM (
                                    SELECT id, last_contact_at, merged_into FROM customers WHERE name ILIKE $1 ESCAPE '\\'
                                    UNION SELECT cu.id, cu.last_contact_at, cu.merged_into
                                    FROM identities i JOIN customers cu ON cu.id = i.customer_id WHERE i.address ILIKE $1 ESCAPE '\\'
                                ) m
                                WHERE m.merged_into IS NULL ORDER BY m.last_contact_at DESC NULLS LAST, m.id DESC OFFSET 0
                            ) k
                            \(visibility)
                            ORDER BY k.last_contact_at DESC NULLS LAST, k.id DESC LIMIT $\(binds.count)
                        ) top
                        JOIN customers cu ON cu.id = top.id JOIN conversations c ON c.customer_id = cu.id
                        ORDER BY top.last_contact_at DESC NULLS LAST, top.id DESC
                        """, binds: binds))
            // The page's addresses in one statement, not one round trip per customer.
            let identities = try await Self.identities(db, customers: try rows.map { try $0["id"] })
            return try rows.map { row in
                let id: Int64 = try row["id"]
                return CustomerSummary(
                    id: id, name: try row["name"], identities: identities[id] ?? [], contacts: try row["contacts"],
                    lastContactAt: try row.date("last_contact_at"), conversation: try row["conversation"], owner: try row["owner"],
                    assignee: try row["assignee"])
            }
        }
    }

    public func linkIdentity(
        customer: Int64, identity: ChannelIdentity, at: Date,
        _ plan: @escaping @Sendable (_ conversation: ConversationState?, _ holder: Int64?) throws -> PlannedMessage
    ) async throws -> MessageRecord {
        try await write { db in
            let live = try await db.value("SELECT id FROM customers WHERE id = \(customer) AND merged_into IS NULL FOR UPDATE", as: Int64.self) != nil
            let conversation =
                live
                ? try await db.row("SELECT * FROM conversations WHERE customer_id = \(customer)").map(Self.conversationState) : nil
            let holder = try await db.value(
                "SELECT customer_id FROM identities WHERE channel = \(identity.channel) AND address = \(identity.address)", as: Int64.self)
            let event = try plan(conversation, holder)
            guard let conversation else { throw StoreError.missing("customer \(customer)") }
            // Another gateway linking the same address meanwhile: the INSERT does nothing; plan again.
            guard try await Self.insertIdentity(db, customer: customer, identity: identity, adapter: "linked", at: at.epoch) != nil else {
                let now = try await db.value(
                    "SELECT customer_id FROM identities WHERE channel = \(identity.channel) AND address = \(identity.address)", as: Int64.self)
                _ = try plan(conversation, now)
                throw StoreError.missing("identity \(identity.channel) \(identity.address)")
            }
            return try await Self.insertPlanned(
                db, event, ids: PlanIDs(customer: customer, conversation: conversation.id), identity: nil, earlier: [], buffer: nil)
        }
    }

    /// Sets every listed agent's open load to what the conversations table says.
    static func recountLoads(_ db: PGSession, agents: [String?]) async throws {
        for agent in Set(agents.compactMap { $0 }).sorted() {
            try await db.execute(
                """
                UPDATE agents SET open_assigned = (
                    SELECT COUNT(*) FROM conversations WHERE assignee = \(agent) AND status IN ('open', 'pending')) WHERE id = \(agent)
                """)
        }
    }

    /// Recomputes a customer's contact counts from their conversation's inbound messages.
    static func recountContacts(_ db: PGSession, customer: Int64) async throws {
        try await db.execute(
            """
            UPDATE customers SET (contacts, first_contact_at, last_contact_at) = (
                SELECT COUNT(*), MIN(m.created_at), MAX(m.created_at) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE c.customer_id = \(customer) AND m.direction = 'inbound' AND (m.metadata::jsonb ->> 'automated') IS NULL)
            WHERE id = \(customer)
            """)
    }
}
