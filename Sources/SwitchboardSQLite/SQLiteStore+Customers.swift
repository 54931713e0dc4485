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
        let identities = try Row.fetchAll(
            db, sql: "SELECT channel, adapter, address FROM identities WHERE customer_id = ? ORDER BY id", arguments: [id]
        ).map { IdentityRecord(channel: $0["channel"], adapter: $0["adapter"], address: $0["address"]) }
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
            let digits = text.filter { $0.isASCII && $0.isNumber }
            // A phone number is compared by its digits, so "+34 600 12" finds "+3460012…".
            let phoneLike = digits.count >= 4 && text.allSatisfy { $0.isNumber || " +-().".contains($0) }
            let plain = phoneLike ? digits : text.lowercased()
            let needle =
                "%"
                + plain.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
                    of: "_", with: "\\_")
                + "%"
            var arguments: StatementArguments = []
            var source = "customers cu"
            var matches = """
                (cu.name LIKE ? ESCAPE '\\' OR cu.id IN (SELECT customer_id FROM identities WHERE address LIKE ? ESCAPE '\\'))
                """
            // The customers that may hold the needle, from the trigram index (LIKE still decides):
            // the matches are read, not every customer.
            if let candidates = SQLiteCustomerTrigrams.candidates(plain) {
                source = "(SELECT rowid AS id FROM customer_trigrams WHERE customer_trigrams MATCH ?) t CROSS JOIN customers cu ON cu.id = t.id"
                matches = """
                    (cu.name LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = cu.id AND i.address LIKE ? ESCAPE '\\'))
                    """
                arguments += [candidates]
            }
            arguments += [needle, needle]
            var visibility = ""
            if !viewer.isSupervisor {
                visibility =
                    "AND (c.owner = ? OR c.assignee = ? OR EXISTS (SELECT 1 FROM conversation_grants g WHERE g.conversation_id = c.id AND g.agent_id = ?))"
                arguments += [viewer.agentID, viewer.agentID, viewer.agentID]
            }
            arguments += [limit]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT cu.id, cu.name, cu.contacts, cu.last_contact_at, c.id AS conversation, c.owner, c.assignee
                    FROM \(source) JOIN conversations c ON c.customer_id = cu.id
                    WHERE cu.merged_into IS NULL AND \(matches) \(visibility)
                    ORDER BY cu.last_contact_at DESC LIMIT ?
                    """, arguments: arguments)
            return try rows.map { row in
                let id: Int64 = row["id"]
                let identities = try Row.fetchAll(
                    db, sql: "SELECT channel, adapter, address FROM identities WHERE customer_id = ? ORDER BY id", arguments: [id]
                ).map { IdentityRecord(channel: $0["channel"], adapter: $0["adapter"], address: $0["address"]) }
                return CustomerSummary(
                    id: id, name: row["name"], identities: identities, contacts: row["contacts"], lastContactAt: row.date("last_contact_at"),
                    conversation: row["conversation"], owner: row["owner"], assignee: row["assignee"])
            }
        }
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
