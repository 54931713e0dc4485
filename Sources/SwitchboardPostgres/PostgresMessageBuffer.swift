import PostgresNIO
import SwitchboardCore

/// The message rows of one group-commit transaction, written with one `INSERT … SELECT FROM unnest`
/// (per 1,000 rows) instead of one round trip each. Ids are taken from the table's identity sequence up front,
/// in blocks, so the records a group returns (and the order of a conversation's messages) are known
/// before the rows are written. Whatever reads `messages` inside the transaction, or refers to a row
/// (the outbox), calls ``flush(_:)`` first; it writes the group's new customers
/// (``PostgresNewCustomers``) before the messages that refer to them.
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
    /// Every id handed out, in order: the group's messages.
    private(set) var handedOut: [Int64] = []
    private let block: Int
    let newCustomers: PostgresNewCustomers
    static let rowsPerStatement = 1000

    /// `drawn`: ids already taken for this group (``PostgresIngestPrefetch``), next first; when they run
    /// out, more are drawn as many at a time. `newCustomers`: ids drawn for its unknown senders.
    init(drawn: [Int64], newCustomers: [PostgresNewCustomers.IDs]) {
        ids = drawn.sorted(by: >)
        block = max(8, drawn.count)
        self.newCustomers = PostgresNewCustomers(drawn: newCustomers)
    }

    /// How many message ids a group of `expected` items draws first: room for the events its plans add.
    static func firstBlock(expected: Int) -> Int {
        max(8, min(1000, expected * 2))
    }

    func nextID(_ db: PGSession) async throws -> Int64 {
        if ids.isEmpty {
            ids = try await db.prepared.values(
                """
                SELECT nextval(s.messages)
                FROM (SELECT pg_get_serial_sequence('messages', 'id')::regclass AS messages) AS s, generate_series(1, \(Int64(block)))
                """, as: Int64.self
            ).sorted(by: >)
        }
        let id = ids.removeLast()
        handedOut.append(id)
        return id
    }

    func append(_ row: Row) {
        rows.append(row)
    }

    func flush(_ db: PGSession) async throws {
        if let last = try await flushAllButLast(db) { try await db.prepared.execute(PGQuery.joined(last)) }
    }

    /// Writes the new customers and every chunk of rows but the last, and returns the last chunk's
    /// `INSERT` (nil when no row waits), which the group's end joins with its other writes.
    func flushAllButLast(_ db: PGSession) async throws -> PGWrite? {
        try await newCustomers.flush(db)
        while rows.count > Self.rowsPerStatement {
            try await db.prepared.execute(PGQuery.joined(Self.insert(Array(rows.prefix(Self.rowsPerStatement)))))
            rows.removeFirst(Self.rowsPerStatement)
        }
        guard !rows.isEmpty else { return nil }
        defer { rows.removeAll(keepingCapacity: true) }
        return Self.insert(rows)
    }

    private static func insert(_ chunk: [Row]) -> PGWrite {
        { query, prefix, suffix in
            // One array per column: the same statement text for any number of rows, prepared once.
            var arrays = PGRowArrays(rows: chunk.count, continuing: query)
            arrays.column("id", "bigint", chunk.map(\.id))
            arrays.column("conversation_id", "bigint", chunk.map(\.conversationID))
            arrays.column("direction", "text", chunk.map(\.direction))
            arrays.column("adapter", "text", chunk.map(\.adapter), placeholder: "")
            arrays.column("channel", "text", chunk.map(\.channel), placeholder: "")
            arrays.column("address", "text", chunk.map(\.address), placeholder: "")
            arrays.column("thread_ref", "text", chunk.map(\.threadRef), placeholder: "")
            arrays.column("external_id", "text", chunk.map(\.externalID), placeholder: "")
            arrays.column("in_reply_to", "bigint", chunk.map(\.inReplyTo), placeholder: 0)
            arrays.column("body", "text", chunk.map(\.body))
            arrays.column("author", "text", chunk.map(\.author), placeholder: "")
            arrays.column("metadata", "text", chunk.map(\.metadata), placeholder: "")
            arrays.column("attachments", "text", chunk.map(\.attachments), placeholder: "")
            arrays.column("sent_at", "float8", chunk.map(\.sentAt), placeholder: 0)
            arrays.column("created_at", "float8", chunk.map(\.createdAt))
            arrays.column("delivery_state", "text", chunk.map(\.deliveryState), placeholder: "")
            arrays.column("delivery_attempts", "bigint", chunk.map { $0.deliveryAttempts.map(Int64.init) }, placeholder: 0)
            arrays.column("identity_id", "bigint", chunk.map(\.identityID), placeholder: 0)
            return arrays.statement(
                prefix + """
                    INSERT INTO messages (id, conversation_id, direction, adapter, channel, address, thread_ref, external_id,
                        in_reply_to, body, author, metadata, attachments, sent_at, created_at, delivery_state, delivery_attempts,
                        identity_id)

                    """, suffix)
        }
    }
}
