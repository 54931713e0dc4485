import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

extension SQLiteStore {
    public func conversations(_ query: ConversationQuery) async throws -> [ConversationSummary] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            let status: String? =
                switch query.status {
                case .open: "'open'"
                case .pending: "'pending'"
                case .resolved: "'resolved'"
                case .all: nil
                }
            if let status { conditions.append("c.status = \(status)") }
            if query.escalatedOnly { conditions.append("c.escalated = 1") }
            if query.breachedOnly { conditions.append("(c.sla_breached = 1 OR c.resolution_breached = 1)") }
            var source = "conversations c"
            if query.status == .open, !query.escalatedOnly, !query.breachedOnly {
                // The open inbox in its own order, from indexes already in that order: the earliest
                // first-response promises (conversations_due), then the latest activity of those
                // without one, each cut at the page; the page is among them. What a page costs
                // then does not grow with the conversations an agent holds, nor with the history.
                let due = "SELECT id FROM conversations INDEXED BY conversations_due WHERE status = 'open' AND first_response_due IS NOT NULL"
                let latest = "status = 'open' AND first_response_due IS NULL ORDER BY last_message_at DESC LIMIT ?"
                if query.viewer.isSupervisor {
                    source = """
                        (SELECT id FROM (\(due) ORDER BY first_response_due LIMIT ?)
                         UNION SELECT id FROM (SELECT id FROM conversations INDEXED BY conversations_latest WHERE \(latest))) mine
                        CROSS JOIN conversations c ON c.id = mine.id
                        """
                    arguments += [query.limit, query.limit]
                } else {
                    // The agent's own promises, per holder: not a walk past everyone else's.
                    let agent = query.viewer.agentID
                    let dueOf = "status = 'open' AND first_response_due IS NOT NULL ORDER BY first_response_due LIMIT ?"
                    source = """
                        (SELECT id FROM (SELECT id FROM conversations INDEXED BY conversations_due_by_assignee WHERE assignee = ? AND \(dueOf))
                         UNION SELECT id FROM (SELECT id FROM conversations INDEXED BY conversations_due_by_owner WHERE owner = ? AND \(dueOf))
                         UNION SELECT id FROM (SELECT id FROM conversations INDEXED BY conversations_latest_by_assignee WHERE assignee = ? AND \(latest))
                         UNION SELECT id FROM (SELECT id FROM conversations INDEXED BY conversations_latest_by_owner WHERE owner = ? AND \(latest))) mine
                        CROSS JOIN conversations c ON c.id = mine.id
                        """
                    arguments += [agent, query.limit, agent, query.limit, agent, query.limit, agent, query.limit]
                }
            } else if !query.viewer.isSupervisor {
                // An agent's conversations from the assignee and owner indexes (an OR over both made
                // SQLite walk every conversation of the status instead): what they hold, not the history.
                let inStatus = status.map { " AND status = \($0)" } ?? ""
                source = """
                    (SELECT id FROM conversations WHERE assignee = ?\(inStatus) UNION SELECT id FROM conversations WHERE owner = ?\(inStatus)) mine
                    CROSS JOIN conversations c ON c.id = mine.id
                    """
                arguments += [query.viewer.agentID, query.viewer.agentID]
            }
            arguments += [query.limit]
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            // Most urgent first: the earliest first-response due time, then the latest activity.
            // Customers' names are read for the page only.
            let order = "ORDER BY c.first_response_due IS NULL, c.first_response_due, c.last_message_at DESC"
            let sql = """
                SELECT c.*, cu.name AS customer_name
                FROM (SELECT c.* FROM \(source) \(whereClause) \(order) LIMIT ?) c JOIN customers cu ON cu.id = c.customer_id
                \(order)
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                ConversationSummary(
                    id: row["id"], status: ConversationStatus(rawValue: row["status"]) ?? .open,
                    customer: CustomerRef(id: row["customer_id"], name: row["customer_name"]),
                    owner: row["owner"], assignee: row["assignee"], escalated: row["escalated"],
                    lastMessageAt: row.date("last_message_at") ?? Date(epoch: 0), firstResponseDue: row.date("first_response_due"),
                    callbackDue: row.date("callback_due"), resolutionDue: row.date("resolution_due"),
                    priority: Priority(rawValue: row["priority"] ?? "normal") ?? .normal)
            }
        }
    }

    public func conversation(_ id: Int64, page: MessagePage?) async throws -> ConversationDetail? {
        try await pool.read { db in
            guard let c = try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE id = ?", arguments: [id]) else { return nil }
            let customerID: Int64 = c["customer_id"]
            guard let customer = try Self.customerDetail(db, id: customerID, now: Date()) else { return nil }
            let tags = try String.fetchAll(db, sql: "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag", arguments: [id])
            var messages: [MessageRecord]
            var nextBefore: Int64?
            if let page {
                // Newest first along messages_thread_order, one more than asked to learn whether older ones exist.
                let cursor =
                    page.before == nil ? "" : "AND (created_at, id) < (SELECT created_at, id FROM messages WHERE id = ? AND conversation_id = ?)"
                let arguments: StatementArguments =
                    page.before.map { [id, $0, id, page.limit + 1] } ?? [id, page.limit + 1]
                messages = try Row.fetchAll(
                    db.cachedStatement(
                        sql: "SELECT * FROM messages WHERE conversation_id = ? \(cursor) ORDER BY created_at DESC, id DESC LIMIT ?"),
                    arguments: arguments
                ).map(Self.messageRecord(row:))
                if messages.count > page.limit {
                    messages.removeLast()
                    nextBefore = messages.last?.id
                }
                messages.reverse()
            } else {
                messages = try Row.fetchAll(
                    db, sql: "SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, id", arguments: [id]
                ).map(Self.messageRecord(row:))
            }
            var detail = ConversationDetail(
                id: id, status: ConversationStatus(rawValue: c["status"]) ?? .open, owner: c["owner"], assignee: c["assignee"],
                team: c["team"], escalated: c["escalated"], firstResponseDue: c.date("first_response_due"),
                customer: customer, messages: messages, tags: tags, callbackDue: c.date("callback_due"), mergedInto: c["merged_into"],
                resolutionDue: c.date("resolution_due"), priority: Priority(rawValue: c["priority"] ?? "normal") ?? .normal,
                slaPolicy: c["sla_policy"], slaReason: c["sla_reason"])
            detail.nextBefore = nextBefore
            return detail
        }
    }

    public func access(conversation id: Int64) async throws -> ConversationAccess? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, owner, assignee, team, status FROM conversations WHERE id = ?", arguments: [id])
                .map { Self.access(row: $0) }
        }
    }

    public func access(message id: Int64) async throws -> ConversationAccess? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT c.id, c.owner, c.assignee, c.team, c.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.id = ?
                    """, arguments: [id]
            ).map { Self.access(row: $0) }
        }
    }

    /// The latest of `MIN(COALESCE(sent_at, created_at), created_at)` over the conversation's inbound
    /// messages through `adapter`, read newest first along the thread-order index: a message that
    /// arrived no later than the best time found cannot beat it, so the walk stops there instead of
    /// reading a long thread to its start.
    static func lastInbound(_ db: Database, conversation: Int64, adapter: String) throws -> Double? {
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT COALESCE(sent_at, created_at), created_at FROM messages INDEXED BY messages_thread_order
                    WHERE conversation_id = ? AND direction = 'inbound' AND adapter = ? ORDER BY created_at DESC
                    """), arguments: [conversation, adapter])
        var best: Double?
        while let row = try rows.next() {
            let created: Double = row[1]
            if let best, created <= best { break }
            let time = min(row[0] as Double, created)
            best = max(best ?? time, time)
        }
        return best
    }

    public func replyRoute(conversation: Int64, inReplyTo: Int64?, via: String?, identityChannel: String?) async throws -> ReplyRoute? {
        try await pool.read { db in
            // A redacted message (erasure, retention) no longer says where it came from: not a route.
            // The latest message is the latest in the thread's order, read along messages_thread_order.
            let columns = "id, adapter, address, thread_ref, external_id, created_at"
            let answered: Row?
            if let inReplyTo {
                answered = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(columns) FROM messages WHERE id = ? AND conversation_id = ? AND direction = 'inbound' AND redacted_at IS NULL
                        """, arguments: [inReplyTo, conversation])
            } else if let via {
                answered = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(columns) FROM messages WHERE conversation_id = ? AND direction = 'inbound' AND redacted_at IS NULL AND adapter = ?
                        ORDER BY created_at DESC, id DESC LIMIT 1
                        """, arguments: [conversation, via])
            } else {
                answered = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(columns) FROM messages WHERE conversation_id = ? AND direction = 'inbound' AND redacted_at IS NULL
                        ORDER BY created_at DESC, id DESC LIMIT 1
                        """, arguments: [conversation])
            }
            if let answered {
                let adapter: String = via ?? answered["adapter"]
                if via != nil && via != answered["adapter"] { return nil }
                // The platform's sending time where it gave one (never later than arrival): a
                // webhook delivered late does not open a reply window wider than the platform does.
                let last = try Self.lastInbound(db, conversation: conversation, adapter: adapter)
                return ReplyRoute(
                    adapter: adapter, address: answered["address"], threadRef: answered["thread_ref"],
                    inReplyTo: answered["id"], inReplyToExternalID: answered["external_id"], lastInboundAt: last.map(Date.init(epoch:)),
                    quoted: inReplyTo != nil)
            }
            // A channel the customer never used through this adapter: reach them at a known identity.
            guard inReplyTo == nil, let via, let identityChannel else { return nil }
            guard
                let address = try String.fetchOne(
                    db,
                    sql: """
                        SELECT i.address FROM identities i JOIN conversations c ON c.customer_id = i.customer_id
                        WHERE c.id = ? AND i.channel = ? ORDER BY i.id DESC LIMIT 1
                        """, arguments: [conversation, identityChannel])
            else { return nil }
            return ReplyRoute(adapter: via, address: address, threadRef: nil, inReplyTo: nil, inReplyToExternalID: nil, lastInboundAt: nil)
        }
    }

    static func access(row: Row, id column: String = "id") -> ConversationAccess {
        ConversationAccess(
            id: row[column], owner: row["owner"], assignee: row["assignee"], team: row["team"],
            status: ConversationStatus(rawValue: row["status"]) ?? .open)
    }

    static func messageRecord(_ db: Database, id: Int64) throws -> MessageRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM messages WHERE id = ?"), arguments: [id]).map(messageRecord(row:))
    }

    static func messageRecord(row: Row) -> MessageRecord {
        let direction = MessageDirection(rawValue: row["direction"]) ?? .event
        var delivery: DeliveryInfo?
        if let state: String = row["delivery_state"] {
            delivery = DeliveryInfo(
                state: DeliveryState(rawValue: state) ?? .queued, attempts: row["delivery_attempts"] ?? 0, error: row["delivery_error"])
        }
        let metadata = (row["metadata"] as String?).flatMap {
            try? JSONCoding.decode([String: String].self, from: Array($0.utf8))
        }
        let attachments = (row["attachments"] as String?).flatMap {
            try? JSONCoding.decode([Attachment].self, from: Array($0.utf8))
        }
        return MessageRecord(
            id: row["id"], conversationID: row["conversation_id"], direction: direction, adapter: row["adapter"],
            channel: row["channel"], body: row["body"], createdAt: row.date("created_at") ?? Date(epoch: 0),
            sentAt: row.date("sent_at"), externalID: row["external_id"], author: row["author"], inReplyTo: row["in_reply_to"],
            delivery: delivery, metadata: metadata, attachments: attachments, editedAt: row.date("edited_at"),
            originalBody: row["original_body"])
    }
}
