import Foundation
import PostgresNIO
import SwitchboardCore

/// `switchboard generate-history` on PostgreSQL: each batch in one transaction, each table in one
/// `INSERT … SELECT FROM unnest(arrays)`; the triggers index every message as ingestion would.
/// Arrays carry no NULLs here, so an empty string (or 0) stands for one and `NULLIF` restores it.
extension PostgresStore: HistoryLoader {
    public func historyStart() async throws -> HistoryStart {
        try await read { db in
            func max(_ table: String) async throws -> Int64 {
                try await db.value(PostgresQuery(unsafeSQL: "SELECT coalesce(max(id), 0)::bigint FROM \(table)"), as: Int64.self) ?? 0
            }
            return HistoryStart(
                customer: try await max("customers"), identity: try await max("identities"),
                conversation: try await max("conversations"), message: try await max("messages"))
        }
    }

    public func loadHistory(_ batch: HistoryBatch) async throws {
        try await write { db in
            let cs = batch.customers
            try await db.execute(
                """
                INSERT INTO customers (id, name, created_at)
                SELECT * FROM unnest(\(cs.map(\.id))::bigint[], \(cs.map(\.name))::text[], \(cs.map(\.createdAt.epoch))::float8[])
                """)
            let ids = batch.identities
            try await db.execute(
                """
                INSERT INTO identities (id, customer_id, channel, address, adapter, created_at)
                SELECT * FROM unnest(\(ids.map(\.id))::bigint[], \(ids.map(\.customer))::bigint[], \(ids.map(\.channel))::text[],
                    \(ids.map(\.address))::text[], \(ids.map(\.adapter))::text[], \(ids.map(\.createdAt.epoch))::float8[])
                """)
            let cv = batch.conversations
            try await db.execute(
                """
                INSERT INTO conversations (id, customer_id, status, owner, assignee, team, last_message_at, created_at)
                SELECT id, customer, status, NULLIF(owner, ''), NULLIF(assignee, ''), NULLIF(team, ''), at, at
                FROM unnest(\(cv.map(\.id))::bigint[], \(cv.map(\.customer))::bigint[], \(cv.map(\.status.rawValue))::text[],
                    \(cv.map { $0.owner ?? "" })::text[], \(cv.map { $0.assignee ?? "" })::text[], \(cv.map { $0.team ?? "" })::text[],
                    \(cv.map(\.createdAt.epoch))::float8[]) AS t(id, customer, status, owner, assignee, team, at)
                """)
            let ms = batch.messages
            try await db.execute(
                """
                INSERT INTO messages (id, conversation_id, direction, adapter, channel, address, external_id, body, author, metadata,
                    sent_at, created_at, delivery_state, delivery_attempts, identity_id)
                SELECT id, conversation, direction, NULLIF(adapter, ''), NULLIF(channel, ''), NULLIF(address, ''), NULLIF(external, ''), body,
                    NULLIF(author, ''), NULLIF(metadata, ''), CASE WHEN direction = 'inbound' THEN at END, at,
                    CASE WHEN delivered THEN 'delivered' END, CASE WHEN delivered THEN 1 END, NULLIF(identity, 0)
                FROM unnest(\(ms.map(\.id))::bigint[], \(ms.map(\.conversation))::bigint[], \(ms.map(\.direction.rawValue))::text[],
                    \(ms.map { $0.adapter ?? "" })::text[], \(ms.map { $0.channel ?? "" })::text[], \(ms.map { $0.address ?? "" })::text[],
                    \(ms.map { $0.externalID ?? "" })::text[], \(ms.map(\.body))::text[], \(ms.map { $0.author ?? "" })::text[],
                    \(ms.map { $0.metadata ?? "" })::text[], \(ms.map(\.createdAt.epoch))::float8[], \(ms.map(\.delivered))::bool[],
                    \(ms.map { $0.identity ?? 0 })::bigint[])
                    AS t(id, conversation, direction, adapter, channel, address, external, body, author, metadata, at, delivered, identity)
                """)
            let ts = batch.tags
            if !ts.isEmpty {
                try await db.execute(
                    """
                    INSERT INTO conversation_tags (conversation_id, tag, added_by, added_at)
                    SELECT c, t, 'switchboard', a FROM unnest(\(ts.map(\.conversation))::bigint[], \(ts.map(\.tag))::text[],
                        \(ts.map(\.at.epoch))::float8[]) AS x(c, t, a)
                    ON CONFLICT DO NOTHING
                    """)
            }
        }
    }

    public func finishHistory(_ activity: [HistoryActivity]) async throws {
        for start in stride(from: 0, to: activity.count, by: 20_000) {
            let chunk = Array(activity[start..<min(start + 20_000, activity.count)])
            try await write { db in
                try await db.execute(
                    """
                    UPDATE conversations c SET last_message_at = a.last, resolved_at = CASE WHEN c.status = 'resolved' THEN a.last END
                    FROM unnest(\(chunk.map(\.conversation))::bigint[], \(chunk.map(\.lastMessageAt.epoch))::float8[]) AS a(id, last)
                    WHERE c.id = a.id
                    """)
                try await db.execute(
                    """
                    UPDATE customers cu SET contacts = cu.contacts + a.inbound, first_contact_at = coalesce(cu.first_contact_at, NULLIF(a.first, 'NaN')),
                        last_contact_at = a.last
                    FROM unnest(\(chunk.map(\.conversation))::bigint[], \(chunk.map(\.inbound))::int[],
                        \(chunk.map { $0.firstInboundAt?.epoch ?? .nan })::float8[], \(chunk.map(\.lastMessageAt.epoch))::float8[]) AS a(id, inbound, first, last)
                    JOIN conversations c ON c.id = a.id
                    WHERE cu.id = c.customer_id
                    """)
            }
        }
        try await write { db in
            try await db.execute(
                """
                UPDATE agents SET open_assigned = (SELECT count(*) FROM conversations c WHERE c.assignee = agents.id AND c.status = 'open')
                """)
            // Ids were given explicitly: the identity sequences move past them.
            for table in ["customers", "identities", "conversations", "messages"] {
                try await db.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table)', 'id'), (SELECT coalesce(max(id), 1) FROM \(table)))
                            """))
            }
        }
    }
}
