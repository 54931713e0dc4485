import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// The outbox is shared by every gateway: a claim locks its rows with `FOR UPDATE SKIP LOCKED`, so
/// two gateways claiming at once never take the same reply, and stamps a lease; a gateway that dies
/// mid-delivery leaves its claims to be taken again once the lease has run out.
extension PostgresStore {
    public func claimDeliveries(now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [OutboxItem] {
        try await write { db in
            let rows = try await db.prepared.rows(
                """
                WITH due AS (
                    SELECT message_id FROM outbox
                    WHERE next_attempt_at <= \(now.epoch) AND (lease_until IS NULL OR lease_until < \(now.epoch))
                    ORDER BY next_attempt_at LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE outbox o SET claimed_by = \(claimer), lease_until = \(leaseUntil.epoch)
                    FROM due WHERE o.message_id = due.message_id
                    RETURNING o.message_id, o.adapter, o.in_reply_to_external, o.attempts, o.quoted, o.purpose, o.next_attempt_at
                )
                SELECT o.message_id, o.adapter, o.in_reply_to_external, o.attempts, o.quoted, o.purpose, m.conversation_id, m.address,
                    m.thread_ref, m.body, m.metadata AS reply_metadata, a.metadata AS answered_metadata, cu.name AS customer_name
                FROM claimed o JOIN messages m ON m.id = o.message_id
                LEFT JOIN messages a ON a.id = m.in_reply_to
                LEFT JOIN conversations c ON c.id = m.conversation_id LEFT JOIN customers cu ON cu.id = c.customer_id
                ORDER BY o.next_attempt_at, o.message_id
                """)
            return try rows.map { row in
                OutboxItem(
                    messageID: try row["message_id"], conversationID: try row["conversation_id"], adapter: try row["adapter"],
                    address: try row["address"] ?? "", threadRef: try row["thread_ref"], body: try row["body"],
                    inReplyToExternalID: try row["in_reply_to_external"], attempts: try row["attempts"], quoted: try row.flag("quoted"),
                    purpose: OutboundMessage.Purpose(rawValue: try row["purpose"]) ?? .reply, customerName: try row["customer_name"],
                    inReplyToMetadata: (try row["answered_metadata"] as String?).flatMap {
                        try? JSONCoding.decode([String: String].self, from: Array($0.utf8))
                    } ?? [:],
                    metadata: (try row["reply_metadata"] as String?).flatMap { try? JSONCoding.decode([String: String].self, from: Array($0.utf8)) }
                        ?? [:])
            }
        }
    }

    public func completeDelivery(message: Int64, result: DeliveryAttemptResult, at: Date) async throws -> MessageRecord? {
        try await write { db in
            // A claim whose row is gone was completed already (e.g. after a lease ran out); keep the first result.
            guard try await db.row("SELECT 1 FROM outbox WHERE message_id = \(message) FOR UPDATE") != nil else { return nil }
            switch result {
            case .delivered(let receipt):
                try await db.execute(
                    """
                    UPDATE messages SET delivery_state = \(receipt.state.rawValue), delivery_attempts = delivery_attempts + 1,
                        delivery_error = NULL, external_id = COALESCE(\(receipt.externalID), external_id), sent_at = \(at.epoch)
                    WHERE id = \(message)
                    """)
                try await db.execute("DELETE FROM outbox WHERE message_id = \(message)")
                if let externalID = receipt.externalID { try await Self.applyEarlyStatuses(db, message: message, externalID: externalID) }
            case .retry(let error, let retryAt):
                try await db.execute(
                    """
                    UPDATE messages SET delivery_attempts = delivery_attempts + 1, delivery_error = \(error) WHERE id = \(message)
                    """)
                try await db.execute(
                    """
                    UPDATE outbox SET attempts = attempts + 1, next_attempt_at = \(retryAt.epoch), claimed_by = NULL, lease_until = NULL
                    WHERE message_id = \(message)
                    """)
            case .failed(let error):
                try await db.execute(
                    """
                    UPDATE messages SET delivery_state = 'failed', delivery_attempts = delivery_attempts + 1, delivery_error = \(error)
                    WHERE id = \(message)
                    """)
                try await db.execute("DELETE FROM outbox WHERE message_id = \(message)")
            }
            return try await Self.messageRecord(db, id: message)
        }
    }

    /// Applies reports that arrived before the platform's id was known.
    static func applyEarlyStatuses(_ db: PGSession, message: Int64, externalID: String) async throws {
        guard let adapter = try await db.value("SELECT adapter FROM messages WHERE id = \(message)", as: String.self) else { return }
        let early = try await db.rows("SELECT state, error FROM early_statuses WHERE adapter = \(adapter) AND external_id = \(externalID)")
        for row in early {
            guard let state = DeliveryStatusUpdate.State(rawValue: try row["state"]) else { continue }
            let current = try await db.value("SELECT delivery_state FROM messages WHERE id = \(message)", as: String.self)
            try await advanceDelivery(db, message: message, current: current, to: state, error: try row["error"])
        }
        try await db.execute("DELETE FROM early_statuses WHERE adapter = \(adapter) AND external_id = \(externalID)")
    }

    public func nextDeliveryDue() async throws -> Date? {
        try await read { db in
            try await db.value(
                "SELECT next_attempt_at FROM outbox WHERE claimed_by IS NULL ORDER BY next_attempt_at LIMIT 1", as: Double.self
            ).map(Date.init(epoch:))
        }
    }

    public func retryDelivery(message: Int64, at: Date) async throws -> MessageRecord? {
        try await write { db in
            guard
                let row = try await db.row(
                    """
                    SELECT m.adapter, m.in_reply_to, r.external_id AS in_reply_to_external,
                        COALESCE(m.metadata::jsonb ->> 'purpose', 'reply') AS purpose
                    FROM messages m LEFT JOIN messages r ON r.id = m.in_reply_to
                    WHERE m.id = \(message) AND m.direction = 'outbound' AND m.delivery_state = 'failed'
                    FOR UPDATE OF m
                    """)
            else { return nil }
            try await db.execute(
                """
                UPDATE messages SET delivery_state = 'queued', delivery_attempts = 0, delivery_error = NULL WHERE id = \(message)
                """)
            let adapter: String? = try row["adapter"]
            let inReplyToExternal: String? = try row["in_reply_to_external"]
            // An acknowledgement sent again is still one (its metadata says so).
            let purpose: String = try row["purpose"]
            try await db.execute(
                """
                INSERT INTO outbox (message_id, adapter, in_reply_to_external, next_attempt_at, attempts, purpose)
                VALUES (\(message), \(adapter ?? ""), \(inReplyToExternal), \(at.epoch), 0, \(purpose))
                ON CONFLICT (message_id) DO UPDATE SET adapter = excluded.adapter, in_reply_to_external = excluded.in_reply_to_external,
                    purpose = excluded.purpose,
                    next_attempt_at = excluded.next_attempt_at, attempts = 0, claimed_by = NULL, lease_until = NULL
                """)
            return try await Self.messageRecord(db, id: message)
        }
    }

    /// Releases the claims an earlier run of this gateway (same claimer id) left behind. Other
    /// gateways' claims are theirs until their lease runs out.
    public func releaseClaims(claimer: String) async throws {
        try await write { db in
            try await db.execute("UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = \(claimer)")
        }
    }
}
