import PostgresNIO

/// The per-message bookkeeping of one group-commit transaction — a conversation's last message and
/// response clocks, a customer's contact counts — folded per row and written in one statement at
/// the end instead of one per message. Folding gives what applying the messages one by one would:
/// the last message time wins, the earliest due time and warning win, the first waiting time wins.
/// Whoever reads these columns inside the transaction (an acknowledgement's due time) calls
/// ``flush(_:)`` first.
///
/// Used by one transaction's task only; not shared.
final class PostgresCounterBuffer {
    private struct Conversation {
        var lastAt: Double
        var firstAt: Double
        var due: Double
        var warn: Double
    }

    private struct Customer {
        var count: Int64
        var firstAt: Double
        var lastAt: Double
    }

    private var conversations: [Int64: Conversation] = [:]
    private var customers: [Int64: Customer] = [:]

    func add(conversation: Int64, customer: Int64, at now: Double, due: Double, warn: Double) {
        if var c = conversations[conversation] {
            c.lastAt = now
            c.due = min(c.due, due)
            c.warn = min(c.warn, warn)
            conversations[conversation] = c
        } else {
            conversations[conversation] = Conversation(lastAt: now, firstAt: now, due: due, warn: warn)
        }
        if var c = customers[customer] {
            c.count += 1
            c.lastAt = now
            customers[customer] = c
        } else {
            customers[customer] = Customer(count: 1, firstAt: now, lastAt: now)
        }
    }

    func flush(_ db: PGSession) async throws {
        guard !conversations.isEmpty || !customers.isEmpty else { return }
        // Sorted by id: rows are locked in the order every gateway uses.
        let convs = conversations.sorted { $0.key < $1.key }
        let custs = customers.sorted { $0.key < $1.key }
        try await db.execute("""
            WITH counted AS (
                UPDATE customers c SET contacts = c.contacts + v.n, first_contact_at = COALESCE(c.first_contact_at, v.first_at),
                    last_contact_at = v.last_at
                FROM unnest(\(custs.map(\.key))::bigint[], \(custs.map(\.value.count))::bigint[],
                    \(custs.map(\.value.firstAt))::float8[], \(custs.map(\.value.lastAt))::float8[]) AS v(id, n, first_at, last_at)
                WHERE c.id = v.id
            )
            UPDATE conversations c SET last_message_at = GREATEST(c.last_message_at, v.last_at),
                first_response_due = LEAST(COALESCE(c.first_response_due, v.due), v.due),
                awaiting_since = COALESCE(c.awaiting_since, v.first_at),
                sla_warn_at = LEAST(COALESCE(c.sla_warn_at, v.warn), v.warn)
            FROM unnest(\(convs.map(\.key))::bigint[], \(convs.map(\.value.lastAt))::float8[], \(convs.map(\.value.due))::float8[],
                \(convs.map(\.value.firstAt))::float8[], \(convs.map(\.value.warn))::float8[]) AS v(id, last_at, due, first_at, warn)
            WHERE c.id = v.id
            """)
        conversations.removeAll(keepingCapacity: true)
        customers.removeAll(keepingCapacity: true)
    }
}
