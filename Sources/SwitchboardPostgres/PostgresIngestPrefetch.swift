import Foundation
import PostgresNIO
import SwitchboardCore

/// Everything an ingest group reads before its plans, in one statement (one round trip where there
/// were four): whose each sender's identity is, with the customer and their conversation, locked;
/// which of its messages are stored already; and ids drawn for the rows it will write — the
/// messages', and a customer, identity and conversation for each sender nobody knows.
///
/// One `UNION ALL` of three kinds of row (`kind`): `i` a known sender (identity, customer and
/// conversation columns), `s` a stored message, `d` one row with the drawn ids as arrays. Sequences
/// are named once per statement (`pg_get_serial_sequence` reads the catalog at each call). The `i`
/// branch comes first: it gives the conversation columns their types, which the others pad with
/// NULL (PostgreSQL resolves a `UNION`'s column types pair by pair, from the left).
///
/// Stored messages are looked up once per partial unique index (`direction = 'inbound'`, `= 'event'`):
/// a `direction IN (…)` filter cannot use them and scans every message. The plan is made without the
/// arrays' contents (a prepared statement, a generic plan: ``PostgresStore/groupSettings``): `LATERAL
/// … LIMIT` keeps it one index probe per key, where a join may be planned as a hash join over every
/// message (or identity, or customer) when the statistics are stale.
enum PostgresIngestPrefetch {
    struct Known {
        var key: IngestGroup.IdentityKey
        var customer: KnownCustomer
        /// The customer's conversation is open or pending (a message continues it, no routing).
        var settled: Bool
        var conversation: ConversationState?
    }

    struct Result {
        var known: [Known] = []
        var stored: [IngestGroup.StoredKey: StoredMessageRef] = [:]
        var messageIDs: [Int64] = []
        var newCustomers: [PostgresNewCustomers.IDs] = []
    }

    /// The statement, the same text at every call (prepared once per connection): `$1`, `$2` the
    /// senders' channels and addresses, `$3`, `$4` the messages' adapters and external ids, `$5` how
    /// many message ids to draw.
    private static let sql = """
        WITH k AS MATERIALIZED (
            SELECT DISTINCT ch, ad FROM unnest($1::text[], $2::text[]) AS u(ch, ad)
        ), known AS MATERIALIZED (
            SELECT i.id, i.customer_id, i.channel, i.address, c.name, c.last_contact_at FROM k
            CROSS JOIN LATERAL (SELECT id, customer_id, channel, address FROM identities WHERE channel = k.ch AND address = k.ad LIMIT 1) AS i
            CROSS JOIN LATERAL (SELECT name, last_contact_at FROM customers WHERE id = i.customer_id) AS c
        ), locked AS MATERIALIZED (
            SELECT \(PostgresStore.conversationColumns) FROM conversations WHERE customer_id = ANY(ARRAY(SELECT customer_id FROM known))
            ORDER BY id FOR UPDATE
        )
        SELECT 'i' AS kind, known.id AS identity_id, known.customer_id AS identity_customer, known.channel, known.address,
            known.name, known.last_contact_at, v.status IN ('open', 'pending') AS settled, \(qualified("v", PostgresStore.conversationColumns)),
            NULL::text AS twin_adapter, NULL::text AS twin_external_id, NULL::text AS twin_direction,
            NULL::bigint AS twin_id, NULL::bigint AS twin_conversation,
            NULL::bigint[] AS drawn, NULL::bigint[] AS new_customers
        FROM known LEFT JOIN locked v ON v.customer_id = known.customer_id
        UNION ALL
        SELECT 's', NULL, NULL, NULL, NULL, NULL, NULL, NULL, \(nulls(PostgresStore.conversationColumns)),
            m.adapter, m.external_id, m.direction, m.id, m.conversation_id, NULL, NULL
        FROM (SELECT DISTINCT a, e FROM unnest($3::text[], $4::text[]) AS u(a, e)) AS t
        CROSS JOIN LATERAL (
            (SELECT adapter, external_id, direction, id, conversation_id FROM messages
             WHERE adapter = t.a AND external_id = t.e AND direction = 'inbound')
            UNION ALL
            (SELECT adapter, external_id, direction, id, conversation_id FROM messages
             WHERE adapter = t.a AND external_id = t.e AND direction = 'event')
            LIMIT 2
        ) AS m
        UNION ALL
        SELECT 'd', NULL, NULL, NULL, NULL, NULL, NULL, NULL, \(nulls(PostgresStore.conversationColumns)), NULL, NULL, NULL, NULL, NULL,
            ARRAY(SELECT nextval(s.messages) FROM generate_series(1, $5)),
            ARRAY(SELECT unnest(ARRAY[nextval(s.customers), nextval(s.identities), nextval(s.conversations)])
                  FROM k WHERE NOT EXISTS (SELECT 1 FROM known WHERE known.channel = k.ch AND known.address = k.ad))
        FROM (
            SELECT pg_get_serial_sequence('messages', 'id')::regclass AS messages,
                pg_get_serial_sequence('customers', 'id')::regclass AS customers,
                pg_get_serial_sequence('identities', 'id')::regclass AS identities,
                pg_get_serial_sequence('conversations', 'id')::regclass AS conversations
        ) AS s
        """

    /// `senders` and `messages` are parallel to each other (one entry per message); `messageIDs` is
    /// how many message ids to draw.
    static func read(
        _ db: PGSession, senders: [IngestGroup.IdentityKey], messages: [(adapter: String, externalID: String)], messageIDs: Int
    ) async throws -> Result {
        var query = PGQuery(unsafeSQL: sql)
        query.bind(senders.map(\.channel))
        query.bind(senders.map(\.address))
        query.bind(messages.map(\.adapter))
        query.bind(messages.map(\.externalID))
        query.bind(Int64(messageIDs))
        var result = Result()
        for row in try await db.prepared.rows(query) {
            switch try row["kind"] as String {
            case "i":
                let key = IngestGroup.IdentityKey(channel: try row["channel"], address: try row["address"])
                let customer = KnownCustomer(
                    id: try row["identity_customer"], identity: try row["identity_id"], name: try row["name"],
                    lastContactAt: try row.date("last_contact_at"))
                let conversation = try row["id"] as Int64? == nil ? nil : try PostgresStore.conversationState(row)
                result.known.append(Known(key: key, customer: customer, settled: try row["settled"] as Bool? == true, conversation: conversation))
            case "s":
                let direction: String = try row["twin_direction"]
                let key = IngestGroup.StoredKey(
                    adapter: try row["twin_adapter"], externalID: try row["twin_external_id"], event: direction == "event")
                result.stored[key] = StoredMessageRef(message: try row["twin_id"], conversation: try row["twin_conversation"])
            default:
                result.messageIDs = try row["drawn"] as [Int64]? ?? []
                // (customer, identity, conversation) for each unknown sender, one after another.
                let triples = try row["new_customers"] as [Int64]? ?? []
                result.newCustomers = stride(from: 0, to: triples.count - 2, by: 3).map {
                    PostgresNewCustomers.IDs(customer: triples[$0], identity: triples[$0 + 1], conversation: triples[$0 + 2])
                }
            }
        }
        return result
    }

    private static func qualified(_ table: String, _ columns: String) -> String {
        columns.split(separator: ", ").map { "\(table).\($0)" }.joined(separator: ", ")
    }

    private static func nulls(_ columns: String) -> String {
        columns.split(separator: ", ").map { _ in "NULL" }.joined(separator: ", ")
    }
}
