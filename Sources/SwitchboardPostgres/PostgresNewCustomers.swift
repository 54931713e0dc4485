import Foundation
import PostgresNIO
import SwitchboardCore

/// The customers one group-commit transaction meets for the first time, each with their identity and
/// conversation, written together in one statement (three `INSERT`s joined by `WITH`) instead of one
/// round trip per customer. Their ids are drawn up front, in blocks, from the tables' own sequences,
/// so plans can name them before the rows exist; the foreign keys are checked at the statement's end,
/// when every row is there.
///
/// A customer whose identity another transaction wrote meanwhile (another gateway's first message
/// of the same person) makes the identity `INSERT` fail with a unique violation: the whole group is
/// retried (``PostgresStore/write(_:)``) and then finds them.
///
/// Written by ``PostgresMessageBuffer/flush(_:)`` before the messages that refer to them. Used by one
/// transaction's task only; not shared.
final class PostgresNewCustomers {
    struct Row {
        var customer: Int64
        var identity: Int64
        var name: String?
        var channel: String
        var address: String
        var adapter: String
        var at: Double
        var conversation: ConversationState?
    }

    struct IDs {
        var customer: Int64
        var identity: Int64
        var conversation: Int64
    }

    private var rows: [Row] = []
    /// Reserved ids, the next last.
    private var ids: [IDs] = []
    /// How many to reserve at a draw: whoever the group meets beyond the senders it began with (a
    /// participant's mail, say) is drawn a few at a time.
    private let block = 4

    /// `drawn`: the ids taken for the group's senders nobody knew when it began (``PostgresIngestPrefetch``).
    init(drawn: [IDs]) {
        ids = drawn.reversed()
    }

    /// The next new customer's ids: those drawn for the group, then a few at a time (each sequence
    /// named once per statement, not once per row).
    func nextIDs(_ db: PGSession) async throws -> IDs {
        if ids.isEmpty {
            let rows = try await db.prepared.rows(
                """
                SELECT nextval(s.customers) AS customer, nextval(s.identities) AS identity, nextval(s.conversations) AS conversation
                FROM (
                    SELECT pg_get_serial_sequence('customers', 'id')::regclass AS customers,
                        pg_get_serial_sequence('identities', 'id')::regclass AS identities,
                        pg_get_serial_sequence('conversations', 'id')::regclass AS conversations
                ) AS s, generate_series(1, \(Int64(block)))
                """)
            ids = try rows.map { IDs(customer: try $0["customer"], identity: try $0["identity"], conversation: try $0["conversation"]) }
            ids.reverse()
        }
        return ids.removeLast()
    }

    func append(_ row: Row) {
        rows.append(row)
    }

    /// Gives a customer not written yet the name a later message of theirs brought; false when they
    /// are not waiting here.
    func name(_ customer: Int64, _ name: String) -> Bool {
        guard let index = rows.firstIndex(where: { $0.customer == customer }) else { return false }
        rows[index].name = name
        return true
    }

    func flush(_ db: PGSession) async throws {
        guard !rows.isEmpty else { return }
        let rows = rows
        self.rows.removeAll(keepingCapacity: true)
        let customers: PGWrite = { query, prefix, suffix in
            var arrays = PGRowArrays(rows: rows.count, continuing: query)
            arrays.column("id", "bigint", rows.map(\.customer))
            arrays.column("name", "text", rows.map(\.name), placeholder: "")
            arrays.column("created_at", "float8", rows.map(\.at))
            return arrays.statement(prefix + "INSERT INTO customers (id, name, created_at) ", suffix)
        }
        let identities: PGWrite = { query, prefix, suffix in
            var arrays = PGRowArrays(rows: rows.count, continuing: query)
            arrays.column("id", "bigint", rows.map(\.identity))
            arrays.column("customer_id", "bigint", rows.map(\.customer))
            arrays.column("channel", "text", rows.map(\.channel))
            arrays.column("address", "text", rows.map(\.address))
            arrays.column("adapter", "text", rows.map(\.adapter))
            arrays.column("created_at", "float8", rows.map(\.at))
            return arrays.statement(prefix + "INSERT INTO identities (id, customer_id, channel, address, adapter, created_at) ", suffix)
        }
        let states = rows.compactMap(\.conversation)
        let conversations: PGWrite = { query, prefix, suffix in
            var arrays = PGRowArrays(rows: states.count, continuing: query)
            arrays.column("id", "bigint", states.map(\.id))
            arrays.column("customer_id", "bigint", states.map(\.customerID))
            PostgresStore.stateColumns(states, into: &arrays)
            return arrays.statement(
                prefix + "INSERT INTO conversations (id, customer_id, \(PostgresStore.stateColumns.joined(separator: ", "))) ", suffix)
        }
        // Their own statement, before the group's other writes: an UPDATE joined to these INSERTs
        // would not see their rows (one snapshot), and a later message may change a new conversation.
        try await db.prepared.execute(PGQuery.joined(customers, [identities, conversations]))
    }
}
