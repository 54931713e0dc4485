import Foundation
import GRDB
import SwitchboardCore

/// `switchboard generate-history` on SQLite: each batch in one transaction through prepared
/// statements; the triggers index every message as ingestion would.
extension SQLiteStore: HistoryLoader {
    public func historyStart() async throws -> HistoryStart {
        try await pool.read { db in
            func max(_ table: String) throws -> Int64 { try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM \(table)") ?? 0 }
            return HistoryStart(
                customer: try max("customers"), identity: try max("identities"), conversation: try max("conversations"), message: try max("messages"))
        }
    }

    public func loadHistory(_ batch: HistoryBatch) async throws {
        try await pool.write { db in
            let customer = try db.cachedStatement(sql: "INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?)")
            for c in batch.customers { try customer.execute(arguments: [c.id, c.name, c.createdAt.epoch]) }
            let identity = try db.cachedStatement(
                sql: """
                    INSERT INTO identities (id, customer_id, channel, address, adapter, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    """)
            for i in batch.identities {
                try identity.execute(arguments: [i.id, i.customer, i.channel, i.address, i.adapter, i.createdAt.epoch])
            }
            let conversation = try db.cachedStatement(
                sql: """
                    INSERT INTO conversations (id, customer_id, status, owner, assignee, team, last_message_at, created_at, resolved_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for c in batch.conversations {
                try conversation.execute(arguments: [
                    c.id, c.customer, c.status.rawValue, c.owner, c.assignee, c.team, c.createdAt.epoch, c.createdAt.epoch,
                    c.status == .resolved ? c.createdAt.epoch : nil,
                ])
            }
            let message = try db.cachedStatement(
                sql: """
                    INSERT INTO messages (id, conversation_id, direction, adapter, channel, address, external_id, body, author, metadata,
                        sent_at, created_at, delivery_state, delivery_attempts, identity_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for m in batch.messages {
                try message.execute(arguments: [
                    m.id, m.conversation, m.direction.rawValue, m.adapter, m.channel, m.address, m.externalID, m.body, m.author, m.metadata,
                    m.direction == .inbound ? m.createdAt.epoch : nil, m.createdAt.epoch, m.delivered ? "delivered" : nil,
                    m.delivered ? 1 : nil, m.identity,
                ])
            }
            let tag = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO conversation_tags (conversation_id, tag, added_by, added_at) VALUES (?, ?, 'switchboard', ?)
                    """)
            for t in batch.tags { try tag.execute(arguments: [t.conversation, t.tag, t.at.epoch]) }
        }
        try await checkpointAll()
    }

    public func finishHistory(_ activity: [HistoryActivity]) async throws {
        for chunk in stride(from: 0, to: activity.count, by: 50_000).map({ activity[$0..<min($0 + 50_000, activity.count)] }) {
            try await pool.write { db in
                let conversation = try db.cachedStatement(
                    sql: """
                        UPDATE conversations SET last_message_at = ?, resolved_at = CASE WHEN status = 'resolved' THEN ? END WHERE id = ?
                        """)
                let customer = try db.cachedStatement(
                    sql: """
                        UPDATE customers SET contacts = contacts + ?, first_contact_at = coalesce(first_contact_at, ?), last_contact_at = ?
                        WHERE id = (SELECT customer_id FROM conversations WHERE id = ?)
                        """)
                for a in chunk {
                    try conversation.execute(arguments: [a.lastMessageAt.epoch, a.lastMessageAt.epoch, a.conversation])
                    try customer.execute(arguments: [a.inbound, a.firstInboundAt?.epoch, a.lastMessageAt.epoch, a.conversation])
                }
            }
            try await checkpointAll()
        }
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE agents SET open_assigned = (SELECT count(*) FROM conversations c WHERE c.assignee = agents.id AND c.status = 'open')
                    """)
        }
        // The history's words, indexed now rather than by the gateway's first minutes.
        try await catchUpSearch()
    }
}
