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
    /// How many to reserve at the first draw: the group's senders nobody knew when it began.
    private var block: Int

    init(expected: Int) {
        block = max(1, min(1000, expected))
    }

    func nextIDs(_ db: PGSession) async throws -> IDs {
        if ids.isEmpty {
            ids = try await db.prepared.rows(
                """
                SELECT nextval(pg_get_serial_sequence('customers', 'id')) AS customer,
                    nextval(pg_get_serial_sequence('identities', 'id')) AS identity,
                    nextval(pg_get_serial_sequence('conversations', 'id')) AS conversation
                FROM generate_series(1, \(Int64(block)))
                """
            ).map { IDs(customer: try $0["customer"], identity: try $0["identity"], conversation: try $0["conversation"]) }.reversed()
            // Whoever the group meets after that (a participant's mail, say) draws a few at a time.
            block = 4
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
        var customers = PGRowArrays(rows: rows.count)
        customers.column("id", "bigint", rows.map(\.customer))
        customers.column("name", "text", rows.map(\.name), placeholder: "")
        customers.column("created_at", "float8", rows.map(\.at))
        var identities = PGRowArrays(
            rows: rows.count, continuing: customers.statement("WITH c AS (INSERT INTO customers (id, name, created_at) ", ")"))
        identities.column("id", "bigint", rows.map(\.identity))
        identities.column("customer_id", "bigint", rows.map(\.customer))
        identities.column("channel", "text", rows.map(\.channel))
        identities.column("address", "text", rows.map(\.address))
        identities.column("adapter", "text", rows.map(\.adapter))
        identities.column("created_at", "float8", rows.map(\.at))
        let states = rows.compactMap(\.conversation)
        var conversations = PGRowArrays(
            rows: states.count,
            continuing: identities.statement(", i AS (INSERT INTO identities (id, customer_id, channel, address, adapter, created_at) ", ")"))
        conversations.column("id", "bigint", states.map(\.id))
        conversations.column("customer_id", "bigint", states.map(\.customerID))
        PostgresStore.stateColumns(states, into: &conversations)
        try await db.prepared.execute(
            conversations.statement(
                " INSERT INTO conversations (id, customer_id, \(PostgresStore.stateColumns.joined(separator: ", "))) "))
        rows.removeAll(keepingCapacity: true)
    }
}
