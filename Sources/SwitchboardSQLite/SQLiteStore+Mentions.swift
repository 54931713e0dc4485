import Foundation
import GRDB
import SwitchboardCore

/// Mentions and the read grants they give (migration 014).
extension SQLiteStore {
    static func registerMentions(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("014-mentions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE mentions (
                        id INTEGER PRIMARY KEY,
                        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
                        message_id INTEGER NOT NULL REFERENCES messages(id),
                        agent_id TEXT NOT NULL,
                        author TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX mentions_by_agent ON mentions(agent_id, id);
                    CREATE TABLE conversation_grants (
                        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
                        agent_id TEXT NOT NULL,
                        granted_by TEXT NOT NULL,
                        message_id INTEGER NOT NULL,
                        granted_at REAL NOT NULL,
                        PRIMARY KEY (conversation_id, agent_id)
                    );
                    """)
        }
    }

    public func note(conversation id: Int64, _ plan: @escaping @Sendable (ConversationState) throws -> NotePlan) async throws -> NoteOutcome {
        try await pool.write { db in
            var loads: [String: AgentLoad] = [:]
            guard let state = try Self.conversationState(db, id: id) else { throw StoreError.missing("conversation \(id)") }
            let planned = try plan(state)
            let applied = try Self.apply(db, planned.conversation, loads: &loads)
            let note = applied.messages[0]
            let name = try String.fetchOne(db, sql: "SELECT name FROM customers WHERE id = ?", arguments: [state.customerID])
            var mentions: [Mention] = []
            for agent in planned.mentioned {
                try db.execute(
                    sql: """
                        INSERT INTO mentions (conversation_id, message_id, agent_id, author, created_at) VALUES (?, ?, ?, ?, ?)
                        """, arguments: [id, note.id, agent, planned.author, note.createdAt.epoch])
                let mentionID = db.lastInsertedRowID
                try db.execute(
                    sql: """
                        INSERT INTO conversation_grants (conversation_id, agent_id, granted_by, message_id, granted_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (conversation_id, agent_id) DO NOTHING
                        """, arguments: [id, agent, planned.author, note.id, note.createdAt.epoch])
                mentions.append(
                    Mention(
                        id: mentionID, conversation: id, message: note.id, agent: agent, author: planned.author, createdAt: note.createdAt,
                        note: note.body, customer: CustomerRef(id: state.customerID, name: name)))
            }
            return NoteOutcome(applied: applied, mentions: mentions)
        }
    }

    public func mentions(of agent: String, before: Int64?, limit: Int) async throws -> [Mention] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT mn.id, m.conversation_id, mn.message_id, mn.agent_id, mn.author, mn.created_at, m.body, c.customer_id, cu.name
                    FROM mentions mn
                    JOIN messages m ON m.id = mn.message_id
                    JOIN conversations c ON c.id = m.conversation_id
                    JOIN customers cu ON cu.id = c.customer_id
                    WHERE mn.agent_id = ? AND mn.id < ?
                    ORDER BY mn.id DESC LIMIT ?
                    """, arguments: [agent, before ?? Int64.max, limit]
            ).map { row in
                Mention(
                    id: row["id"], conversation: row["conversation_id"], message: row["message_id"], agent: row["agent_id"],
                    author: row["author"], createdAt: row.date("created_at") ?? Date(epoch: 0), note: row["body"],
                    customer: CustomerRef(id: row["customer_id"], name: row["name"]))
            }
        }
    }

    public func hasReadGrant(agent: String, conversation: Int64) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM conversation_grants WHERE conversation_id = ? AND agent_id = ?)",
                arguments: [conversation, agent]) ?? false
        }
    }

    public func readGrants() async throws -> [ReadGrant] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT conversation_id, agent_id FROM conversation_grants").map {
                ReadGrant(conversation: $0["conversation_id"], agent: $0["agent_id"])
            }
        }
    }
}
