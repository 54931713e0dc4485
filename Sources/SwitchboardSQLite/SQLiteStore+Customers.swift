import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Customers as agents see and correct them: lookup, search, linking identities, merge and undo.
extension SQLiteStore {
    public func customer(_ id: Int64, now: Date) async throws -> CustomerDetail? {
        try await pool.read { db in try Self.customerDetail(db, id: id, now: now) }
    }

    static func customerDetail(_ db: Database, id: Int64, now: Date) throws -> CustomerDetail? {
        guard let cu = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = ?", arguments: [id]) else { return nil }
        let identities = try identities(db, customer: id)
        let conversation = try Int64.fetchOne(db, sql: "SELECT id FROM conversations WHERE customer_id = ?", arguments: [id])
        var byChannel: [String: Int] = [:]
        var recent = 0
        if let conversation {
            // The totals are kept as messages arrive (migration 027); the last 30 days read only
            // those days' messages (the thread-order index), never the whole thread.
            byChannel = try SQLiteContactCounts.byAdapter(db, conversation: conversation)
            recent =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT COUNT(*) FROM messages INDEXED BY messages_thread_order
                            WHERE conversation_id = ? AND created_at >= ? AND direction = 'inbound' AND json_extract(metadata, '$.automated') IS NULL
                            """), arguments: [conversation, now.epoch - 30 * 86400]) ?? 0
        }
        return CustomerDetail(
            id: id, name: cu["name"], identities: identities, contacts: cu["contacts"],
            firstContactAt: cu.date("first_contact_at"), lastContactAt: cu.date("last_contact_at"),
            contactsByChannel: byChannel, contactsLast30Days: recent, conversation: conversation, mergedInto: cu["merged_into"])
    }

    public func searchCustomers(_ text: String, viewer: Viewer, limit: Int) async throws -> [CustomerSummary] {
        try await pool.read { db in
            // Only the page is joined to its conversation (``SQLiteCustomerSearch``); every live
            // customer has one, written in the transaction that wrote the customer.
            try SQLiteCustomerSearch.page(db, text, viewer: viewer, limit: limit).compactMap { id in
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT cu.name, cu.contacts, cu.last_contact_at, c.id AS conversation, c.owner, c.assignee
                                FROM customers cu JOIN conversations c ON c.customer_id = cu.id WHERE cu.id = ?
                                """), arguments: [id])
                else { return nil }
                return CustomerSummary(
                    id: id, name: row["name"], identities: try Self.identities(db, customer: id), contacts: row["contacts"],
                    lastContactAt: row.date("last_contact_at"), conversation: row["conversation"], owner: row["owner"], assignee: row["assignee"])
            }
        }
    }

    static func identities(_ db: Database, customer: Int64) throws -> [IdentityRecord] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT channel, adapter, address FROM identities WHERE customer_id = ? ORDER BY id"), arguments: [customer]
        ).map { IdentityRecord(channel: $0["channel"], adapter: $0["adapter"], address: $0["address"]) }
    }

    public func linkIdentity(
        customer: Int64, identity: ChannelIdentity, at: Date,
        _ plan: @escaping @Sendable (_ conversation: ConversationState?, _ holder: Int64?) throws -> PlannedMessage
    ) async throws -> MessageRecord {
        try await pool.write { db in
            let live = try Int64.fetchOne(db, sql: "SELECT id FROM customers WHERE id = ? AND merged_into IS NULL", arguments: [customer]) != nil
            let conversation = live ? try Self.conversationState(db, customer: customer) : nil
            let holder = try Int64.fetchOne(
                db, sql: "SELECT customer_id FROM identities WHERE channel = ? AND address = ?", arguments: [identity.channel, identity.address])
            let event = try plan(conversation, holder)
            guard let conversation else { throw StoreError.missing("customer \(customer)") }
            _ = try Self.insertIdentity(db, customer: customer, identity: identity, adapter: "linked", at: at.epoch)
            return try Self.insertPlanned(
                db, event, ids: PlanIDs(customer: customer, conversation: conversation.id), identity: nil, earlier: [])
        }
    }

    /// Sets every listed agent's open load to what the conversations table says, after changes
    /// that move several conversations at once.
    static func recountLoads(_ db: Database, agents: [String?]) throws {
        for agent in Set(agents.compactMap { $0 }) {
            try db.execute(
                sql: """
                    UPDATE agents SET open_assigned = (
                        SELECT COUNT(*) FROM conversations WHERE assignee = ?1 AND status IN ('open', 'pending')) WHERE id = ?1
                    """, arguments: [agent])
        }
    }

    /// Recomputes a customer's contact counts from their conversation's inbound messages.
    static func recountContacts(_ db: Database, customer: Int64) throws {
        try db.execute(
            sql: """
                UPDATE customers SET (contacts, first_contact_at, last_contact_at) = (
                    SELECT COUNT(*), MIN(m.created_at), MAX(m.created_at) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE c.customer_id = ?1 AND m.direction = 'inbound' AND json_extract(m.metadata, '$.automated') IS NULL)
                WHERE id = ?1
                """, arguments: [customer])
    }
}
