import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

extension SQLiteStore {
    public func claimDeliveries(now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [OutboxItem] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT o.message_id, o.adapter, o.in_reply_to_external, o.attempts, o.quoted, o.purpose, m.conversation_id, m.address,
                            m.thread_ref, m.body, m.metadata AS reply_metadata, a.metadata AS answered_metadata, cu.name AS customer_name
                        FROM outbox o JOIN messages m ON m.id = o.message_id
                        LEFT JOIN messages a ON a.id = m.in_reply_to
                        LEFT JOIN conversations c ON c.id = m.conversation_id LEFT JOIN customers cu ON cu.id = c.customer_id
                        WHERE o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)
                        ORDER BY o.next_attempt_at LIMIT ?
                        """), arguments: [now.epoch, now.epoch, limit])
            let claim = try db.cachedStatement(sql: "UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE message_id = ?")
            return try rows.map { row in
                try claim.execute(arguments: [claimer, leaseUntil.epoch, row["message_id"]])
                return OutboxItem(
                    messageID: row["message_id"], conversationID: row["conversation_id"], adapter: row["adapter"],
                    address: row["address"] ?? "", threadRef: row["thread_ref"], body: row["body"],
                    inReplyToExternalID: row["in_reply_to_external"], attempts: row["attempts"], quoted: row["quoted"],
                    purpose: OutboundMessage.Purpose(rawValue: row["purpose"]) ?? .reply, customerName: row["customer_name"],
                    inReplyToMetadata: (row["answered_metadata"] as String?).flatMap {
                        try? JSONCoding.decode([String: String].self, from: Array($0.utf8))
                    } ?? [:],
                    metadata: (row["reply_metadata"] as String?).flatMap { try? JSONCoding.decode([String: String].self, from: Array($0.utf8)) }
                        ?? [:])
            }
        }
    }

    public func completeDelivery(message: Int64, result: DeliveryAttemptResult, at: Date) async throws -> MessageRecord? {
        try await pool.write { db in
            // A claim whose row is gone was completed already (e.g. after a lease ran out); keep the first result.
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE message_id = ?", arguments: [message]) == true else { return nil }
            switch result {
            case .delivered(let receipt):
                try db.execute(
                    sql: """
                        UPDATE messages SET delivery_state = ?, delivery_attempts = delivery_attempts + 1, delivery_error = NULL,
                            external_id = COALESCE(?, external_id), sent_at = ? WHERE id = ?
                        """, arguments: [receipt.state.rawValue, receipt.externalID, at.epoch, message])
                try db.execute(sql: "DELETE FROM outbox WHERE message_id = ?", arguments: [message])
                if let externalID = receipt.externalID { try Self.applyEarlyStatuses(db, message: message, externalID: externalID) }
            case .retry(let error, let retryAt):
                try db.execute(
                    sql: "UPDATE messages SET delivery_attempts = delivery_attempts + 1, delivery_error = ? WHERE id = ?",
                    arguments: [error, message])
                try db.execute(
                    sql: """
                        UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, claimed_by = NULL, lease_until = NULL WHERE message_id = ?
                        """, arguments: [retryAt.epoch, message])
            case .failed(let error):
                try db.execute(
                    sql: """
                        UPDATE messages SET delivery_state = 'failed', delivery_attempts = delivery_attempts + 1, delivery_error = ? WHERE id = ?
                        """, arguments: [error, message])
                try db.execute(sql: "DELETE FROM outbox WHERE message_id = ?", arguments: [message])
            }
            return try Self.messageRecord(db, id: message)
        }
    }

    /// Applies reports that arrived before the platform's id was known.
    static func applyEarlyStatuses(_ db: Database, message: Int64, externalID: String) throws {
        guard let adapter = try String.fetchOne(db, sql: "SELECT adapter FROM messages WHERE id = ?", arguments: [message]) else { return }
        let early = try Row.fetchAll(
            db, sql: "SELECT state, error FROM early_statuses WHERE adapter = ? AND external_id = ?", arguments: [adapter, externalID])
        for row in early {
            guard let state = DeliveryStatusUpdate.State(rawValue: row["state"]) else { continue }
            let current = try String.fetchOne(db, sql: "SELECT delivery_state FROM messages WHERE id = ?", arguments: [message])
            try advanceDelivery(db, message: message, current: current, to: state, error: row["error"])
        }
        try db.execute(sql: "DELETE FROM early_statuses WHERE adapter = ? AND external_id = ?", arguments: [adapter, externalID])
    }

    public func nextDeliveryDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT next_attempt_at FROM outbox WHERE claimed_by IS NULL ORDER BY next_attempt_at LIMIT 1")
                .map(Date.init(epoch:))
        }
    }

    public func retryDelivery(message: Int64, at: Date) async throws -> MessageRecord? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT m.adapter, m.in_reply_to, r.external_id AS in_reply_to_external,
                            COALESCE(json_extract(m.metadata, '$.purpose'), 'reply') AS purpose
                        FROM messages m LEFT JOIN messages r ON r.id = m.in_reply_to
                        WHERE m.id = ? AND m.direction = 'outbound' AND m.delivery_state = 'failed'
                        """, arguments: [message])
            else { return nil }
            try db.execute(
                sql: "UPDATE messages SET delivery_state = 'queued', delivery_attempts = 0, delivery_error = NULL WHERE id = ?",
                arguments: [message])
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, attempts, purpose)
                    VALUES (?, ?, ?, ?, 0, ?)
                    """, arguments: [message, row["adapter"], row["in_reply_to_external"], at.epoch, row["purpose"]])
            // (An acknowledgement sent again is still one: its metadata says so.)
            return try Self.messageRecord(db, id: message)
        }
    }

    /// An SQLite database belongs to one gateway process, so at start every claim is stale.
    public func releaseClaims(claimer: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by IS NOT NULL")
        }
    }
}
