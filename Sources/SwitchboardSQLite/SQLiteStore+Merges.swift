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
        survivor: Int64, absorbed: Int64, at: Date,
        _ plan: @escaping @Sendable (_ survivor: MergeParty?, _ absorbed: MergeParty?) throws -> MergePlan
    ) async throws -> MergeOutcome {
        try await pool.write { db in
            let planned = try plan(try Self.mergeParty(db, survivor), try Self.mergeParty(db, absorbed))
            let s = try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE id = ?", arguments: [planned.survivor.id])!
            let a = try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE id = ?", arguments: [planned.absorbed.id])!
            let now = at.epoch
            let lastMessage = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM messages") ?? 0
            try db.execute(
                sql: """
                    INSERT INTO merges (survivor, absorbed, survivor_conversation, absorbed_conversation, survivor_state, absorbed_state,
                        last_message_id, merged_by, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [survivor, absorbed, s["id"], a["id"], Self.snapshot(s), Self.snapshot(a), lastMessage, planned.author, now])
            let mergeID = db.lastInsertedRowID
            let sID = planned.survivor.id
            let aID = planned.absorbed.id
            try db.execute(
                sql: """
                    INSERT INTO merge_moves (merge_id, kind, item_id) SELECT ?, 'identity', id FROM identities WHERE customer_id = ?;
                    INSERT INTO merge_moves (merge_id, kind, item_id) SELECT ?, 'message', id FROM messages WHERE conversation_id = ?;
                    UPDATE identities SET customer_id = ? WHERE customer_id = ?;
                    UPDATE messages SET conversation_id = ? WHERE conversation_id = ?;
                    INSERT OR IGNORE INTO conversation_tags (conversation_id, tag, added_by, added_at)
                        SELECT ?, tag, added_by, added_at FROM conversation_tags WHERE conversation_id = ?;
                    """, arguments: [mergeID, absorbed, mergeID, aID, survivor, absorbed, sID, aID, sID, aID])
            let moved = db.changesCount
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO conversation_participants (conversation_id, channel, address, added_at)
                        SELECT ?, channel, address, added_at FROM conversation_participants WHERE conversation_id = ?
                    """, arguments: [sID, aID])
            try Self.writeConversation(db, planned.survivor)
            try Self.writeConversation(db, planned.absorbed)
            try db.execute(
                sql: """
                    UPDATE customers SET merged_into = ? WHERE id = ?;
                    UPDATE customers SET name = COALESCE(name, (SELECT name FROM customers WHERE id = ?)) WHERE id = ?;
                    """, arguments: [survivor, absorbed, absorbed, survivor])
            try Self.recountContacts(db, customer: survivor)
            try Self.recountContacts(db, customer: absorbed)
            try Self.recountLoads(db, agents: [s["assignee"], a["assignee"], planned.survivor.assignee])
            let events = [
                try Self.insertMessage(
                    db, conversationID: sID, direction: .event, body: planned.survivorEvent(moved), author: planned.author,
                    metadata: Self.encodeMetadata(["merge": String(mergeID)]), metadataValue: ["merge": String(mergeID)], createdAt: now),
                try Self.insertMessage(
                    db, conversationID: aID, direction: .event, body: planned.absorbedEvent, author: planned.author, createdAt: now),
            ]
            return MergeOutcome(survivor: planned.survivor.access, absorbed: planned.absorbed.access, events: events, movedMessages: moved)
        }
    }

    public func unmerge(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (RecordedMerge?) throws -> UnmergePlan
    ) async throws -> MergeOutcome {
        try await pool.write { db in
            let merge = try Row.fetchOne(
                db,
                sql: """
                    SELECT * FROM merges WHERE survivor = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1
                    """, arguments: [customer])
            let planned = try plan(
                merge.map {
                    RecordedMerge(
                        id: $0["id"], survivor: $0["survivor"], absorbed: $0["absorbed"], survivorConversation: $0["survivor_conversation"],
                        absorbedConversation: $0["absorbed_conversation"])
                })
            guard let merge else { throw StoreError.unavailable("no merge to undo") }
            let mergeID: Int64 = merge["id"]
            let absorbed: Int64 = merge["absorbed"]
            let sID: Int64 = merge["survivor_conversation"]
            let aID: Int64 = merge["absorbed_conversation"]
            let before = try Self.accessOf(db, sID)
            // What the merge moved goes back; so does what arrived since through the moved identities,
            // with the replies, notes and events that answer those messages.
            try db.execute(
                sql: """
                    UPDATE identities SET customer_id = ? WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = ? AND kind = 'identity');
                    UPDATE messages SET conversation_id = ? WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = ? AND kind = 'message');
                    UPDATE messages SET conversation_id = ? WHERE conversation_id = ? AND id > ? AND identity_id IN (
                        SELECT item_id FROM merge_moves WHERE merge_id = ? AND kind = 'identity');
                    UPDATE messages SET conversation_id = ? WHERE conversation_id = ? AND id > ? AND in_reply_to IN (
                        SELECT id FROM messages WHERE conversation_id = ?);
                    """,
                arguments: [
                    absorbed, mergeID, aID, mergeID, aID, sID, merge["last_message_id"], mergeID,
                    aID, sID, merge["last_message_id"], aID,
                ])
            try Self.restore(db, conversation: aID, from: merge["absorbed_state"])
            try Self.restore(db, conversation: sID, from: merge["survivor_state"])
            try db.execute(
                sql: """
                    UPDATE conversations SET merged_into = NULL WHERE id = ?;
                    UPDATE customers SET merged_into = NULL WHERE id = ?;
                    UPDATE merges SET undone_by = ?, undone_at = ? WHERE id = ?;
                    """, arguments: [aID, absorbed, planned.author, at.epoch, mergeID])
            try Self.recountContacts(db, customer: customer)
            try Self.recountContacts(db, customer: absorbed)
            let after = try Self.accessOf(db, sID)
            let restored = try Self.accessOf(db, aID)
            try Self.recountLoads(db, agents: [before.assignee, after.assignee, restored.assignee])
            let events = [
                try Self.insertMessage(
                    db, conversationID: sID, direction: .event, body: planned.survivorEvent, author: planned.author, createdAt: at.epoch),
                try Self.insertMessage(
                    db, conversationID: aID, direction: .event, body: planned.absorbedEvent, author: planned.author, createdAt: at.epoch),
            ]
            let moved = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", arguments: [aID]) ?? 0
            return MergeOutcome(survivor: after, absorbed: restored, events: events, movedMessages: moved)
        }
    }

    static func mergeParty(_ db: Database, _ customer: Int64) throws -> MergeParty? {
        guard let row = try Row.fetchOne(db, sql: "SELECT name, merged_into FROM customers WHERE id = ?", arguments: [customer]) else { return nil }
        return MergeParty(
            customer: customer, name: row["name"], mergedInto: row["merged_into"], conversation: try conversationState(db, customer: customer))
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
        guard
            let row = try Row.fetchOne(db, sql: "SELECT id, owner, assignee, team, status FROM conversations WHERE id = ?", arguments: [conversation])
        else { throw StoreError.missing("conversation \(conversation)") }
        return access(row: row)
    }
}
