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
            for row in try Row.fetchAll(db, sql: """
                SELECT adapter, COUNT(*) AS n, SUM(created_at >= ?) AS recent FROM messages
                WHERE conversation_id = ? AND direction = 'inbound' AND json_extract(metadata, '$.automated') IS NULL GROUP BY adapter
                """, arguments: [now.epoch - 30 * 86400, conversation])
            {
                byChannel[row["adapter"] ?? "unknown"] = row["n"]
                recent += row["recent"] ?? 0
            }
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
            let needle = "%" + (phoneLike ? digits : text.lowercased())
                .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            var arguments: StatementArguments = [needle, needle]
            var visibility = ""
            if !viewer.isSupervisor {
                visibility = "AND (c.owner = ? OR c.assignee = ?)"
                arguments += [viewer.agentID, viewer.agentID]
            }
            arguments += [limit]
            let rows = try Row.fetchAll(db, sql: """
                SELECT cu.id, cu.name, cu.contacts, cu.last_contact_at, c.id AS conversation, c.owner, c.assignee
                FROM customers cu JOIN conversations c ON c.customer_id = cu.id
                WHERE cu.merged_into IS NULL AND (cu.name LIKE ? ESCAPE '\\' OR cu.id IN (
                    SELECT customer_id FROM identities WHERE address LIKE ? ESCAPE '\\')) \(visibility)
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

    public func linkIdentity(customer: Int64, identity: ChannelIdentity, by agent: String, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            guard let conversation = try Int64.fetchOne(db, sql: """
                SELECT c.id FROM conversations c JOIN customers cu ON cu.id = c.customer_id WHERE cu.id = ? AND cu.merged_into IS NULL
                """, arguments: [customer])
            else { throw ServiceError.notFound("customer \(customer)") }
            if let owner = try Int64.fetchOne(
                db, sql: "SELECT customer_id FROM identities WHERE channel = ? AND address = ?", arguments: [identity.channel, identity.address])
            {
                if owner == customer {
                    throw ServiceError(status: 409, code: "already_linked", message: "\(identity.channel) \(identity.address) already belongs to customer \(customer)")
                }
                throw ServiceError(
                    status: 409, code: "identity_taken",
                    message: "\(identity.channel) \(identity.address) already belongs to another customer")
            }
            _ = try Self.insertIdentity(db, customer: customer, identity: identity, adapter: "linked", at: at.epoch)
            return try Self.insertMessage(
                db, conversationID: conversation, direction: .event, body: "\(agent) linked \(identity.channel) \(identity.address) to this customer",
                author: agent, createdAt: at.epoch)
        }
    }

    public func setPending(conversation: Int64, _ pending: Bool, by agent: String, at: Date) async throws -> MessageRecord {
        try await pool.write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM conversations WHERE id = ?", arguments: [conversation]) else {
                throw ServiceError.notFound("conversation \(conversation)")
            }
            let now = at.epoch
            if pending {
                guard status == "open" else {
                    throw ServiceError(status: 409, code: "not_open", message: "conversation \(conversation) is \(status); only an open one can wait on the customer")
                }
                try db.execute(sql: """
                    UPDATE conversations SET status = 'pending', resolution_left = MAX(0, resolution_due - ?), resolution_due = NULL,
                        first_response_due = NULL, awaiting_since = NULL, sla_warn_at = NULL, sla_warned = 0, sla_breached = 0,
                        reassigned_at = NULL WHERE id = ?
                    """, arguments: [now, conversation])
                return try Self.insertMessage(
                    db, conversationID: conversation, direction: .event,
                    body: "\(agent) set the conversation pending: waiting on the customer, clocks stopped", author: agent, createdAt: now)
            }
            guard status == "pending" else {
                throw ServiceError(status: 409, code: "not_pending", message: "conversation \(conversation) is \(status), not pending")
            }
            try db.execute(sql: """
                UPDATE conversations SET status = 'open', resolution_due = CASE WHEN resolution_left IS NULL THEN NULL ELSE ? + resolution_left END,
                    resolution_left = NULL WHERE id = ?
                """, arguments: [now, conversation])
            return try Self.insertMessage(
                db, conversationID: conversation, direction: .event, body: "\(agent) reopened the conversation", author: agent, createdAt: now)
        }
    }

    public func completeCallback(conversation: Int64, by agent: String, at: Date) async throws -> MessageRecord? {
        try await pool.write { db in
            guard try Double.fetchOne(db, sql: "SELECT callback_due FROM conversations WHERE id = ?", arguments: [conversation]) != nil else {
                return nil
            }
            // The call back is the response the customer was promised: the clocks stop as for a reply.
            try db.execute(sql: """
                UPDATE conversations SET callback_due = NULL, first_response_due = NULL, awaiting_since = NULL, sla_warn_at = NULL,
                    sla_warned = 0, sla_breached = 0, reassigned_at = NULL WHERE id = ?
                """, arguments: [conversation])
            return try Self.insertMessage(
                db, conversationID: conversation, direction: .event, body: "Call back made by \(agent)", author: agent, createdAt: at.epoch)
        }
    }

    /// Sets every listed agent's open load to what the conversations table says, after changes
    /// that move several conversations at once.
    static func recountLoads(_ db: Database, agents: [String?]) throws {
        for agent in Set(agents.compactMap { $0 }) {
            try db.execute(sql: """
                UPDATE agents SET open_assigned = (
                    SELECT COUNT(*) FROM conversations WHERE assignee = ?1 AND status IN ('open', 'pending')) WHERE id = ?1
                """, arguments: [agent])
        }
    }

    /// Recomputes a customer's contact counts from their conversation's inbound messages.
    static func recountContacts(_ db: Database, customer: Int64) throws {
        try db.execute(sql: """
            UPDATE customers SET (contacts, first_contact_at, last_contact_at) = (
                SELECT COUNT(*), MIN(m.created_at), MAX(m.created_at) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE c.customer_id = ?1 AND m.direction = 'inbound' AND json_extract(m.metadata, '$.automated') IS NULL)
            WHERE id = ?1
            """, arguments: [customer])
    }
}
