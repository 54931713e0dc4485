import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Merging two customers into one, and undoing it exactly (merges + merge_moves, as in SQLite).
extension PostgresStore {
    /// The conversation columns a merge changes and an undo puts back, with their kind.
    private static let textColumns = ["status", "owner", "assignee", "team"]
    private static let intColumns = ["escalated", "sla_warned", "sla_breached"]
    private static let timeColumns = ["first_response_due", "awaiting_since", "sla_warn_at", "callback_due", "resolved_at", "reassigned_at"]

    public func merge(
        survivor: Int64, absorbed: Int64, at: Date,
        _ plan: @escaping @Sendable (_ survivor: MergeParty?, _ absorbed: MergeParty?) throws -> MergePlan
    ) async throws -> MergeOutcome {
        try await write { db in
            // Agents first (loads are recounted below), then the two customers in id order.
            _ = try await Self.agentLoads(db, lock: true)
            let parties = try await (Self.mergeParty(db, min(survivor, absorbed)), Self.mergeParty(db, max(survivor, absorbed)))
            let (sParty, aParty) = survivor < absorbed ? parties : (parties.1, parties.0)
            let planned = try plan(sParty, aParty)
            let s = try await db.row("SELECT * FROM conversations WHERE id = \(planned.survivor.id)")!
            let a = try await db.row("SELECT * FROM conversations WHERE id = \(planned.absorbed.id)")!
            let now = at.epoch
            let lastMessage = try await db.value("SELECT MAX(id) FROM messages", as: Int64.self) ?? 0
            let sID = planned.survivor.id
            let aID = planned.absorbed.id
            let mergeID = try await db.value(
                """
                INSERT INTO merges (survivor, absorbed, survivor_conversation, absorbed_conversation, survivor_state, absorbed_state,
                    last_message_id, merged_by, merged_at)
                VALUES (\(survivor), \(absorbed), \(sID), \(aID), \(try Self.snapshot(s)), \(try Self.snapshot(a)), \(lastMessage),
                    \(planned.author), \(now)) RETURNING id
                """, as: Int64.self)!
            try await db.execute(
                """
                INSERT INTO merge_moves (merge_id, kind, item_id) SELECT \(mergeID), 'identity', id FROM identities WHERE customer_id = \(absorbed)
                """)
            try await db.execute(
                """
                INSERT INTO merge_moves (merge_id, kind, item_id) SELECT \(mergeID), 'message', id FROM messages WHERE conversation_id = \(aID)
                """)
            try await db.execute("UPDATE identities SET customer_id = \(survivor) WHERE customer_id = \(absorbed)")
            let moved = try await db.count("UPDATE messages SET conversation_id = \(sID) WHERE conversation_id = \(aID) RETURNING 1")
            try await db.execute(
                """
                INSERT INTO conversation_tags (conversation_id, tag, added_by, added_at)
                SELECT \(sID), tag, added_by, added_at FROM conversation_tags WHERE conversation_id = \(aID) ON CONFLICT DO NOTHING
                """)
            try await db.execute(
                """
                INSERT INTO conversation_participants (conversation_id, channel, address, added_at)
                SELECT \(sID), channel, address, added_at FROM conversation_participants WHERE conversation_id = \(aID) ON CONFLICT DO NOTHING
                """)
            try await Self.writeConversations(db, [planned.survivor, planned.absorbed])
            try await db.execute("UPDATE customers SET merged_into = \(survivor) WHERE id = \(absorbed)")
            try await db.execute(
                """
                UPDATE customers SET name = COALESCE(name, (SELECT name FROM customers WHERE id = \(absorbed))) WHERE id = \(survivor)
                """)
            try await Self.recountContacts(db, customer: survivor)
            try await Self.recountContacts(db, customer: absorbed)
            try await Self.recountLoads(db, agents: [try s["assignee"], try a["assignee"], planned.survivor.assignee])
            let events = [
                try await Self.insertMessage(
                    db, conversationID: sID, direction: .event, body: planned.survivorEvent(moved), author: planned.author,
                    metadata: Self.encodeMetadata(["merge": String(mergeID)]), metadataValue: ["merge": String(mergeID)], createdAt: now),
                try await Self.insertMessage(
                    db, conversationID: aID, direction: .event, body: planned.absorbedEvent, author: planned.author, createdAt: now),
            ]
            return MergeOutcome(survivor: planned.survivor.access, absorbed: planned.absorbed.access, events: events, movedMessages: moved)
        }
    }

    public func unmerge(
        customer: Int64, at: Date, _ plan: @escaping @Sendable (RecordedMerge?) throws -> UnmergePlan
    ) async throws -> MergeOutcome {
        try await write { db in
            _ = try await Self.agentLoads(db, lock: true)
            let merge = try await db.row(
                """
                SELECT * FROM merges WHERE survivor = \(customer) AND undone_at IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE
                """)
            let planned = try plan(
                try merge.map {
                    RecordedMerge(
                        id: try $0["id"], survivor: try $0["survivor"], absorbed: try $0["absorbed"],
                        survivorConversation: try $0["survivor_conversation"], absorbedConversation: try $0["absorbed_conversation"])
                })
            guard let merge else { throw StoreError.unavailable("no merge to undo") }
            let mergeID: Int64 = try merge["id"]
            let absorbed: Int64 = try merge["absorbed"]
            let sID: Int64 = try merge["survivor_conversation"]
            let aID: Int64 = try merge["absorbed_conversation"]
            let lastMessage: Int64 = try merge["last_message_id"]
            let before = try await Self.accessOf(db, sID)
            // What the merge moved goes back; so does what arrived since through the moved identities,
            // with the replies, notes and events that answer those messages.
            try await db.execute(
                """
                UPDATE identities SET customer_id = \(absorbed)
                WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = \(mergeID) AND kind = 'identity')
                """)
            try await db.execute(
                """
                UPDATE messages SET conversation_id = \(aID)
                WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = \(mergeID) AND kind = 'message')
                """)
            try await db.execute(
                """
                UPDATE messages SET conversation_id = \(aID) WHERE conversation_id = \(sID) AND id > \(lastMessage) AND identity_id IN (
                    SELECT item_id FROM merge_moves WHERE merge_id = \(mergeID) AND kind = 'identity')
                """)
            try await db.execute(
                """
                UPDATE messages SET conversation_id = \(aID) WHERE conversation_id = \(sID) AND id > \(lastMessage) AND in_reply_to IN (
                    SELECT id FROM messages WHERE conversation_id = \(aID))
                """)
            try await Self.restore(db, conversation: aID, from: try merge["absorbed_state"])
            try await Self.restore(db, conversation: sID, from: try merge["survivor_state"])
            try await db.execute("UPDATE conversations SET merged_into = NULL WHERE id = \(aID)")
            try await db.execute("UPDATE customers SET merged_into = NULL WHERE id = \(absorbed)")
            try await db.execute("UPDATE merges SET undone_by = \(planned.author), undone_at = \(at.epoch) WHERE id = \(mergeID)")
            try await Self.recountContacts(db, customer: customer)
            try await Self.recountContacts(db, customer: absorbed)
            let after = try await Self.accessOf(db, sID)
            let restored = try await Self.accessOf(db, aID)
            try await Self.recountLoads(db, agents: [before.assignee, after.assignee, restored.assignee])
            let events = [
                try await Self.insertMessage(
                    db, conversationID: sID, direction: .event, body: planned.survivorEvent, author: planned.author, createdAt: at.epoch),
                try await Self.insertMessage(
                    db, conversationID: aID, direction: .event, body: planned.absorbedEvent, author: planned.author, createdAt: at.epoch),
            ]
            let moved = try await db.value("SELECT COUNT(*) FROM messages WHERE conversation_id = \(aID)", as: Int.self) ?? 0
            return MergeOutcome(survivor: after, absorbed: restored, events: events, movedMessages: moved)
        }
    }

    static func mergeParty(_ db: PGSession, _ customer: Int64) async throws -> MergeParty? {
        guard let row = try await db.row("SELECT name, merged_into FROM customers WHERE id = \(customer) FOR UPDATE") else { return nil }
        let conversation = try await db.row("SELECT * FROM conversations WHERE customer_id = \(customer) FOR UPDATE").map(conversationState)
        return MergeParty(customer: customer, name: try row["name"], mergedInto: try row["merged_into"], conversation: conversation)
    }

    /// The same JSON shape as the SQLite store's snapshot (integers, numbers, strings, nulls).
    private static func snapshot(_ row: PGRow) throws -> String {
        var state: [String: JSONValue] = [:]
        for column in textColumns { state[column] = (try row[column] as String?).map(JSONValue.string) ?? .null }
        for column in intColumns { state[column] = (try row[column] as Int?).map { .integer(Int64($0)) } ?? .null }
        for column in timeColumns { state[column] = (try row[column] as Double?).map(JSONValue.number) ?? .null }
        return String(decoding: JSONCoding.encode(state), as: UTF8.self)
    }

    private static func restore(_ db: PGSession, conversation: Int64, from snapshot: String) async throws {
        let state = try JSONCoding.decode([String: JSONValue].self, from: Array(snapshot.utf8))
        var binds = PostgresBindings()
        var assignments: [String] = []
        for column in textColumns + intColumns + timeColumns {
            guard let value = state[column] else { continue }
            switch (value, textColumns.contains(column), intColumns.contains(column)) {
            case (.string(let text), true, _): binds.append(text)
            case (.integer(let n), _, true): binds.append(Int(n))
            case (.number(let d), _, true): binds.append(Int(d))
            case (.integer(let n), false, false): binds.append(Double(n))
            case (.number(let d), false, false): binds.append(d)
            default:
                if textColumns.contains(column) {
                    binds.append(String?.none)
                } else if intColumns.contains(column) {
                    binds.append(Int?.none)
                } else {
                    binds.append(Double?.none)
                }
            }
            assignments.append("\(column) = $\(binds.count)")
        }
        guard !assignments.isEmpty else { return }
        binds.append(conversation)
        try await db.execute(
            PostgresQuery(
                unsafeSQL: "UPDATE conversations SET \(assignments.joined(separator: ", ")) WHERE id = $\(binds.count)", binds: binds))
    }
}
