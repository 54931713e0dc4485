import PostgresNIO
import SwitchboardCore

/// The message rows of one group-commit transaction, written with one multi-row `INSERT` (per 1,000
/// rows) instead of one round trip each. Ids are taken from the table's identity sequence up front,
/// in blocks, so the records a group returns (and the order of a conversation's messages) are known
/// before the rows are written. Whatever reads `messages` inside the transaction, or refers to a row
/// (the outbox), calls ``flush(_:)`` first.
///
/// Used by one transaction's task only; not shared.
final class PostgresMessageBuffer {
    struct Row {
        var id: Int64
        var conversationID: Int64
        var direction: String
        var adapter: String?
        var channel: String?
        var address: String?
        var threadRef: String?
        var externalID: String?
        var inReplyTo: Int64?
        var body: String
        var author: String?
        var metadata: String?
        var attachments: String?
        var sentAt: Double?
        var createdAt: Double
        var deliveryState: String?
        var deliveryAttempts: Int?
        var identityID: Int64?
    }

    private var rows: [Row] = []
    /// Reserved ids, largest first (taken from the end).
    private var ids: [Int64] = []
    private let block: Int
    static let columns = 18
    static let rowsPerStatement = 1000

    init(expected: Int) {
        block = max(8, min(1000, expected * 2))
    }

    func nextID(_ db: PGSession) async throws -> Int64 {
        if ids.isEmpty {
            ids = try await db.values(
                """
                SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, \(block))
                """, as: Int64.self
            ).sorted(by: >)
        }
        return ids.removeLast()
    }

    func append(_ row: Row) {
        rows.append(row)
    }

    func flush(_ db: PGSession) async throws {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + Self.rowsPerStatement)]
            var binds = PostgresBindings(capacity: chunk.count * Self.columns)
            var tuples: [String] = []
            tuples.reserveCapacity(chunk.count)
            for row in chunk {
                let first = binds.count + 1
                tuples.append("(" + (first..<first + Self.columns).map { "$\($0)" }.joined(separator: ", ") + ")")
                binds.append(row.id)
                binds.append(row.conversationID)
                binds.append(row.direction)
                binds.append(row.adapter)
                binds.append(row.channel)
                binds.append(row.address)
                binds.append(row.threadRef)
                binds.append(row.externalID)
                binds.append(row.inReplyTo)
                binds.append(row.body)
                binds.append(row.author)
                binds.append(row.metadata)
                binds.append(row.attachments)
                binds.append(row.sentAt)
                binds.append(row.createdAt)
                binds.append(row.deliveryState)
                binds.append(row.deliveryAttempts)
                binds.append(row.identityID)
            }
            try await db.execute(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO messages (id, conversation_id, direction, adapter, channel, address, thread_ref, external_id,
                            in_reply_to, body, author, metadata, attachments, sent_at, created_at, delivery_state, delivery_attempts,
                            identity_id)
                        VALUES \(tuples.joined(separator: ", "))
                        """, binds: binds))
            start += chunk.count
        }
        rows.removeAll(keepingCapacity: true)
    }
}
