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
        survivor: Int64, absorbed: Int64, by agent: String, at: Date, references: ConversationReferences
    ) async throws -> MergeOutcome {
        try await write { db in
            guard survivor != absorbed else { throw ServiceError.badRequest("a customer cannot be merged into itself") }
            _ = try await Self.agentLoads(db, lock: true)
            let s = try await Self.liveConversation(db, customer: survivor)
            let a = try await Self.liveConversation(db, customer: absorbed)
            let now = at.epoch
            let lastMessage = try await db.value("SELECT MAX(id) FROM messages", as: Int64.self) ?? 0
            let sID: Int64 = try s["id"], aID: Int64 = try a["id"]
            let mergeID = try await db.value("""
                INSERT INTO merges (survivor, absorbed, survivor_conversation, absorbed_conversation, survivor_state, absorbed_state,
                    last_message_id, merged_by, merged_at)
                VALUES (\(survivor), \(absorbed), \(sID), \(aID), \(try Self.snapshot(s)), \(try Self.snapshot(a)), \(lastMessage),
                    \(agent), \(now)) RETURNING id
                """, as: Int64.self)!
            try await db.execute("""
                INSERT INTO merge_moves (merge_id, kind, item_id) SELECT \(mergeID), 'identity', id FROM identities WHERE customer_id = \(absorbed)
                """)
            try await db.execute("""
                INSERT INTO merge_moves (merge_id, kind, item_id) SELECT \(mergeID), 'message', id FROM messages WHERE conversation_id = \(aID)
                """)
            try await db.execute("UPDATE identities SET customer_id = \(survivor) WHERE customer_id = \(absorbed)")
            let moved = try await db.count("UPDATE messages SET conversation_id = \(sID) WHERE conversation_id = \(aID) RETURNING 1")
            try await db.execute("""
                INSERT INTO conversation_tags (conversation_id, tag, added_by, added_at)
                SELECT \(sID), tag, added_by, added_at FROM conversation_tags WHERE conversation_id = \(aID) ON CONFLICT DO NOTHING
                """)

            // The earlier conversation's owner keeps the customer: they knew them first.
            let sFirst = (try s["created_at"] as Double) <= (try a["created_at"] as Double)
            let (first, second) = sFirst ? (s, a) : (a, s)
            let firstOwner: String? = try first["owner"], secondOwner: String? = try second["owner"]
            let owner = firstOwner ?? secondOwner
            let sStatus: String = try s["status"], aStatus: String = try a["status"]
            let open = sStatus == "open" || aStatus == "open"
            let firstAssignee: String? = try first["assignee"], secondAssignee: String? = try second["assignee"]
            let assignee: String? = open ? (firstAssignee ?? secondAssignee ?? owner) : nil
            let aFirstDue: Double? = try a["first_response_due"], aAwaiting: Double? = try a["awaiting_since"]
            let aWarn: Double? = try a["sla_warn_at"], aCallback: Double? = try a["callback_due"]
            let aLast: Double = try a["last_message_at"], aEscalated: Int = try a["escalated"]
            try await db.execute("""
                UPDATE conversations SET status = \(open ? "open" : "resolved"), owner = \(owner), assignee = \(assignee),
                    escalated = GREATEST(escalated, \(aEscalated)),
                    first_response_due = LEAST(COALESCE(first_response_due, \(aFirstDue)), COALESCE(\(aFirstDue), first_response_due)),
                    awaiting_since = LEAST(COALESCE(awaiting_since, \(aAwaiting)), COALESCE(\(aAwaiting), awaiting_since)),
                    sla_warn_at = LEAST(COALESCE(sla_warn_at, \(aWarn)), COALESCE(\(aWarn), sla_warn_at)),
                    callback_due = LEAST(COALESCE(callback_due, \(aCallback)), COALESCE(\(aCallback), callback_due)),
                    last_message_at = GREATEST(last_message_at, \(aLast)),
                    resolved_at = CASE WHEN \(open) THEN NULL ELSE resolved_at END
                WHERE id = \(sID)
                """)
            try await db.execute("""
                UPDATE conversations SET status = 'merged', merged_into = \(sID), assignee = NULL, first_response_due = NULL,
                    awaiting_since = NULL, sla_warn_at = NULL, callback_due = NULL WHERE id = \(aID)
                """)
            try await db.execute("UPDATE customers SET merged_into = \(survivor) WHERE id = \(absorbed)")
            try await db.execute("""
                UPDATE customers SET name = COALESCE(name, (SELECT name FROM customers WHERE id = \(absorbed))) WHERE id = \(survivor)
                """)
            try await Self.recountContacts(db, customer: survivor)
            try await Self.recountContacts(db, customer: absorbed)
            try await Self.recountLoads(db, agents: [try s["assignee"], try a["assignee"], assignee])

            let name = try await db.value("SELECT name FROM customers WHERE id = \(absorbed)", as: String.self)
            let ownerText = owner.map { "; \($0) owns it (owner of the earlier conversation)" } ?? ""
            let events = [
                try await Self.insertMessage(
                    db, conversationID: sID, direction: .event,
                    body: "\(agent) merged customer \(absorbed)\(name.map { " (\($0))" } ?? "") into this customer: \(moved) messages of \(references.format(aID)) joined this thread\(ownerText)",
                    author: agent, metadata: Self.encodeMetadata(["merge": String(mergeID)]), metadataValue: ["merge": String(mergeID)],
                    createdAt: now),
                try await Self.insertMessage(
                    db, conversationID: aID, direction: .event,
                    body: "\(agent) merged this customer into customer \(survivor); the thread continues in \(references.format(sID))",
                    author: agent, createdAt: now),
            ]
            return MergeOutcome(
                survivor: try await Self.accessOf(db, sID), absorbed: try await Self.accessOf(db, aID), events: events, movedMessages: moved)
        }
    }

    public func unmerge(customer: Int64, by agent: String, at: Date, references: ConversationReferences) async throws -> MergeOutcome {
        try await write { db in
            _ = try await Self.agentLoads(db, lock: true)
            guard let merge = try await db.row("""
                SELECT * FROM merges WHERE survivor = \(customer) AND undone_at IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE
                """)
            else {
                throw ServiceError(status: 409, code: "nothing_to_undo", message: "no merge into customer \(customer) is left to undo")
            }
            let mergeID: Int64 = try merge["id"], absorbed: Int64 = try merge["absorbed"]
            let sID: Int64 = try merge["survivor_conversation"], aID: Int64 = try merge["absorbed_conversation"]
            let lastMessage: Int64 = try merge["last_message_id"]
            let before = try await Self.accessOf(db, sID)
            // What the merge moved goes back; so does what arrived since through the moved identities,
            // with the replies, notes and events that answer those messages.
            try await db.execute("""
                UPDATE identities SET customer_id = \(absorbed)
                WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = \(mergeID) AND kind = 'identity')
                """)
            try await db.execute("""
                UPDATE messages SET conversation_id = \(aID)
                WHERE id IN (SELECT item_id FROM merge_moves WHERE merge_id = \(mergeID) AND kind = 'message')
                """)
            try await db.execute("""
                UPDATE messages SET conversation_id = \(aID) WHERE conversation_id = \(sID) AND id > \(lastMessage) AND identity_id IN (
                    SELECT item_id FROM merge_moves WHERE merge_id = \(mergeID) AND kind = 'identity')
                """)
            try await db.execute("""
                UPDATE messages SET conversation_id = \(aID) WHERE conversation_id = \(sID) AND id > \(lastMessage) AND in_reply_to IN (
                    SELECT id FROM messages WHERE conversation_id = \(aID))
                """)
            try await Self.restore(db, conversation: aID, from: try merge["absorbed_state"])
            try await Self.restore(db, conversation: sID, from: try merge["survivor_state"])
            try await db.execute("UPDATE conversations SET merged_into = NULL WHERE id = \(aID)")
            try await db.execute("UPDATE customers SET merged_into = NULL WHERE id = \(absorbed)")
            try await db.execute("UPDATE merges SET undone_by = \(agent), undone_at = \(at.epoch) WHERE id = \(mergeID)")
            try await Self.recountContacts(db, customer: customer)
            try await Self.recountContacts(db, customer: absorbed)
            let after = try await Self.accessOf(db, sID), restored = try await Self.accessOf(db, aID)
            try await Self.recountLoads(db, agents: [before.assignee, after.assignee, restored.assignee])
            let events = [
                try await Self.insertMessage(
                    db, conversationID: sID, direction: .event,
                    body: "\(agent) undid the merge of customer \(absorbed): their messages are back in \(references.format(aID))",
                    author: agent, createdAt: at.epoch),
                try await Self.insertMessage(
                    db, conversationID: aID, direction: .event,
                    body: "\(agent) undid the merge into customer \(customer): this conversation is restored", author: agent, createdAt: at.epoch),
            ]
            let moved = try await db.value("SELECT COUNT(*) FROM messages WHERE conversation_id = \(aID)", as: Int.self) ?? 0
            return MergeOutcome(survivor: after, absorbed: restored, events: events, movedMessages: moved)
        }
    }

    private static func liveConversation(_ db: PGSession, customer: Int64) async throws -> PGRow {
        guard let merged = try await db.row("SELECT merged_into FROM customers WHERE id = \(customer) FOR UPDATE") else {
            throw ServiceError.notFound("customer \(customer)")
        }
        if let into: Int64 = try merged["merged_into"] {
            throw ServiceError(status: 409, code: "already_merged", message: "customer \(customer) was merged into customer \(into)")
        }
        guard let row = try await db.row("SELECT * FROM conversations WHERE customer_id = \(customer) FOR UPDATE") else {
            throw ServiceError(status: 409, code: "no_conversation", message: "customer \(customer) has no conversation")
        }
        return row
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
                if textColumns.contains(column) { binds.append(String?.none) }
                else if intColumns.contains(column) { binds.append(Int?.none) }
                else { binds.append(Double?.none) }
            }
            assignments.append("\(column) = $\(binds.count)")
        }
        guard !assignments.isEmpty else { return }
        binds.append(conversation)
        try await db.execute(PostgresQuery(
            unsafeSQL: "UPDATE conversations SET \(assignments.joined(separator: ", ")) WHERE id = $\(binds.count)", binds: binds))
    }
}
