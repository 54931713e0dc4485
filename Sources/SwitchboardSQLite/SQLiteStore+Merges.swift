import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Merging two customers into one, and undoing it exactly.
extension SQLiteStore {
    /// The conversation columns a merge changes and an undo puts back.
    private static let stateColumns = [
        "status", "owner", "assignee", "team", "escalated", "first_response_due", "awaiting_since", "sla_warn_at", "sla_warned",
        "sla_breached", "callback_due", "resolved_at", "reassigned_at",
    ]

    public func merge(
        survivor: Int64, absorbed: Int64, by agent: String, at: Date, references: ConversationReferences
    ) async throws -> MergeOutcome {
        try await pool.write { db in
            guard survivor != absorbed else { throw ServiceError.badRequest("a customer cannot be merged into itself") }
            let s = try Self.liveConversation(db, customer: survivor)
            let a = try Self.liveConversation(db, customer: absorbed)
            let now = at.epoch
            let lastMessage = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM messages") ?? 0
            try db.execute(sql: """
                INSERT INTO merges (survivor, absorbed, survivor_conversation, absorbed_conversation, survivor_state, absorbed_state,
                    last_message_id, merged_by, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [survivor, absorbed, s["id"], a["id"], Self.snapshot(s), Self.snapshot(a), lastMessage, agent, now])
            let mergeID = db.lastInsertedRowID
            let sID: Int64 = s["id"], aID: Int64 = a["id"]
            try db.execute(sql: """
                INSERT INTO merge_moves (merge_id, kind, item_id) SELECT ?, 'identity', id FROM identities WHERE customer_id = ?;
                INSERT INTO merge_moves (merge_id, kind, item_id) SELECT ?, 'message', id FROM messages WHERE conversation_id = ?;
                UPDATE identities SET customer_id = ? WHERE customer_id = ?;
                UPDATE messages SET conversation_id = ? WHERE conversation_id = ?;
                INSERT OR IGNORE INTO conversation_tags (conversation_id, tag, added_by, added_at)
                    SELECT ?, tag, added_by, added_at FROM conversation_tags WHERE conversation_id = ?;
                """, arguments: [mergeID, absorbed, mergeID, aID, survivor, absorbed, sID, aID, sID, aID])
            let moved = db.changesCount

            // The earlier conversation's owner keeps the customer: they knew them first.
            let sFirst = (s["created_at"] as Double) <= (a["created_at"] as Double)
            let (first, second) = sFirst ? (s, a) : (a, s)
            let owner: String? = first["owner"] ?? second["owner"]
            let open = (s["status"] as String) == "open" || (a["status"] as String) == "open"
            let assignee: String? = open ? (first["assignee"] ?? second["assignee"] ?? owner) : nil
            try db.execute(sql: """
                UPDATE conversations SET status = ?, owner = ?, assignee = ?, escalated = MAX(escalated, ?),
                    first_response_due = MIN(COALESCE(first_response_due, ?), COALESCE(?, first_response_due)),
                    awaiting_since = MIN(COALESCE(awaiting_since, ?), COALESCE(?, awaiting_since)),
                    sla_warn_at = MIN(COALESCE(sla_warn_at, ?), COALESCE(?, sla_warn_at)),
                    callback_due = MIN(COALESCE(callback_due, ?), COALESCE(?, callback_due)),
                    last_message_at = MAX(last_message_at, ?), resolved_at = CASE WHEN ? THEN NULL ELSE resolved_at END
                WHERE id = ?
                """, arguments: [
                    open ? "open" : "resolved", owner, assignee, a["escalated"],
                    a["first_response_due"], a["first_response_due"], a["awaiting_since"], a["awaiting_since"],
                    a["sla_warn_at"], a["sla_warn_at"], a["callback_due"], a["callback_due"], a["last_message_at"], open, sID,
                ])
            try db.execute(sql: """
                UPDATE conversations SET status = 'merged', merged_into = ?, assignee = NULL, first_response_due = NULL,
                    awaiting_since = NULL, sla_warn_at = NULL, callback_due = NULL WHERE id = ?;
                UPDATE customers SET merged_into = ? WHERE id = ?;
                UPDATE customers SET name = COALESCE(name, (SELECT name FROM customers WHERE id = ?)) WHERE id = ?;
                """, arguments: [sID, aID, survivor, absorbed, absorbed, survivor])
            try Self.recountContacts(db, customer: survivor)
            try Self.recountContacts(db, customer: absorbed)
            try Self.recountLoads(db, agents: [s["assignee"], a["assignee"], assignee])

            let name = try String.fetchOne(db, sql: "SELECT name FROM customers WHERE id = ?", arguments: [absorbed])
            let ownerText = owner.map { "; \($0) owns it (owner of the earlier conversation)" } ?? ""
            let events = [
                try Self.insertMessage(
                    db, conversationID: sID, direction: .event,
                    body: "\(agent) merged customer \(absorbed)\(name.map { " (\($0))" } ?? "") into this customer: \(moved) messages of \(references.format(aID)) joined this thread\(ownerText)",
                    author: agent, metadata: Self.encodeMetadata(["merge": String(mergeID)]), metadataValue: ["merge": String(mergeID)],
                    createdAt: now),
                try Self.insertMessage(
                    db, conversationID: aID, direction: .event,
                    body: "\(agent) merged this customer into customer \(survivor); the thread continues in \(references.format(sID))",
                    author: agent, createdAt: now),
            ]
            return MergeOutcome(
                survivor: try Self.accessOf(db, sID), absorbed: try Self.accessOf(db, aID), events: events, movedMessages: moved)
        }
    }

    public func unmerge(customer: Int64, by agent: String, at: Date, references: ConversationReferences) async throws -> MergeOutcome {
        try await pool.write { db in
            guard let merge = try Row.fetchOne(db, sql: """
                SELECT * FROM merges WHERE survivor = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1
                """, arguments: [customer])
            else {
                throw ServiceError(status: 409, code: "nothing_to_undo", message: "no merge into customer \(customer) is left to undo")
            }
            let mergeID: Int64 = merge["id"], absorbed: Int64 = merge["absorbed"]
            let sID: Int64 = merge["survivor_conversation"], aID: Int64 = merge["absorbed_conversation"]
            let before = try Self.accessOf(db, sID)
            // What the merge moved goes back; so does what arrived since through the moved identities,
            // with the replies, notes and events that answer those messages.
            try db.execute(sql: """
                UPDATE identities SET customer_id = ? WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = ? AND kind = 'identity');
                UPDATE messages SET conversation_id = ? WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = ? AND kind = 'message');
                UPDATE messages SET conversation_id = ? WHERE conversation_id = ? AND id > ? AND identity_id IN (
                    SELECT item_id FROM merge_moves WHERE merge_id = ? AND kind = 'identity');
                UPDATE messages SET conversation_id = ? WHERE conversation_id = ? AND id > ? AND in_reply_to IN (
                    SELECT id FROM messages WHERE conversation_id = ?);
                """, arguments: [
                    absorbed, mergeID, aID, mergeID, aID, sID, merge["last_message_id"], mergeID,
                    aID, sID, merge["last_message_id"], aID,
                ])
            try Self.restore(db, conversation: aID, from: merge["absorbed_state"])
            try Self.restore(db, conversation: sID, from: merge["survivor_state"])
            try db.execute(sql: """
                UPDATE conversations SET merged_into = NULL WHERE id = ?;
                UPDATE customers SET merged_into = NULL WHERE id = ?;
                UPDATE merges SET undone_by = ?, undone_at = ? WHERE id = ?;
                """, arguments: [aID, absorbed, agent, at.epoch, mergeID])
            try Self.recountContacts(db, customer: customer)
            try Self.recountContacts(db, customer: absorbed)
            let after = try Self.accessOf(db, sID), restored = try Self.accessOf(db, aID)
            try Self.recountLoads(db, agents: [before.assignee, after.assignee, restored.assignee])
            let events = [
                try Self.insertMessage(
                    db, conversationID: sID, direction: .event,
                    body: "\(agent) undid the merge of customer \(absorbed): their messages are back in \(references.format(aID))",
                    author: agent, createdAt: at.epoch),
                try Self.insertMessage(
                    db, conversationID: aID, direction: .event,
                    body: "\(agent) undid the merge into customer \(customer): this conversation is restored", author: agent, createdAt: at.epoch),
            ]
            let moved = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", arguments: [aID]) ?? 0
            return MergeOutcome(survivor: after, absorbed: restored, events: events, movedMessages: moved)
        }
    }

    private static func liveConversation(_ db: Database, customer: Int64) throws -> Row {
        guard let merged = try Row.fetchOne(db, sql: "SELECT merged_into FROM customers WHERE id = ?", arguments: [customer]) else {
            throw ServiceError.notFound("customer \(customer)")
        }
        if let into: Int64 = merged["merged_into"] {
            throw ServiceError(status: 409, code: "already_merged", message: "customer \(customer) was merged into customer \(into)")
        }
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE customer_id = ?", arguments: [customer]) else {
            throw ServiceError(status: 409, code: "no_conversation", message: "customer \(customer) has no conversation")
        }
        return row
    }

    private static func snapshot(_ row: Row) -> String {
        var state: [String: JSONValue] = [:]
        for column in stateColumns {
            let value = row[column] as DatabaseValue
            switch value.storage {
            case .null: state[column] = .null
            case .int64(let n): state[column] = .integer(n)
            case .double(let d): state[column] = .number(d)
            case .string(let s): state[column] = .string(s)
            case .blob: state[column] = .null
            }
        }
        return String(decoding: JSONCoding.encode(state), as: UTF8.self)
    }

    private static func restore(_ db: Database, conversation: Int64, from snapshot: String) throws {
        let state = try JSONCoding.decode([String: JSONValue].self, from: Array(snapshot.utf8))
        let columns = stateColumns.filter { state[$0] != nil }
        let values: [(any DatabaseValueConvertible)?] = columns.map { column in
            switch state[column] {
            case .integer(let n)?: n
            case .number(let d)?: d
            case .string(let s)?: s
            default: nil
            }
        }
        try db.execute(
            sql: "UPDATE conversations SET " + columns.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ?",
            arguments: StatementArguments(values + [conversation]))
    }

    static func accessOf(_ db: Database, _ conversation: Int64) throws -> ConversationAccess {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, owner, assignee, team, status FROM conversations WHERE id = ?", arguments: [conversation])
        else { throw ServiceError.notFound("conversation \(conversation)") }
        return access(row: row)
    }
}
