import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

extension PostgresStore {
    public func conversations(_ query: ConversationQuery) async throws -> [ConversationSummary] {
        try await read { db in
            var conditions: [String] = []
            var binds = PostgresBindings()
            switch query.status {
            case .open: conditions.append("c.status = 'open'")
            case .pending: conditions.append("c.status = 'pending'")
            case .resolved: conditions.append("c.status = 'resolved'")
            case .all: break
            }
            if query.escalatedOnly { conditions.append("c.escalated = 1") }
            if query.breachedOnly { conditions.append("(c.sla_breached = 1 OR c.resolution_breached = 1)") }
            var source = "conversations c"
            binds.append(query.limit)
            let limit = "$\(binds.count)"
            if query.status == .open, !query.escalatedOnly, !query.breachedOnly {
                // The open inbox in its own order, from indexes already in that order: the earliest
                // first-response promises, then the latest activity of those without one, each cut
                // at the page; the page is among them. Sorting every open conversation an agent held
                // cost 150 ms for 20,000 of them; this does not grow with what they hold.
                let due = "status = 'open' AND first_response_due IS NOT NULL ORDER BY first_response_due LIMIT \(limit)"
                let latest = "status = 'open' AND first_response_due IS NULL ORDER BY last_message_at DESC LIMIT \(limit)"
                if query.viewer.isSupervisor {
                    source = """
                        ((SELECT id FROM conversations WHERE \(due)) UNION (SELECT id FROM conversations WHERE \(latest))) mine
                        JOIN conversations c ON c.id = mine.id
                        """
                } else {
                    binds.append(query.viewer.agentID)
                    let agent = "$\(binds.count)"
                    source = """
                        ((SELECT id FROM conversations WHERE assignee = \(agent) AND \(due))
                         UNION (SELECT id FROM conversations WHERE owner = \(agent) AND \(due))
                         UNION (SELECT id FROM conversations WHERE assignee = \(agent) AND \(latest))
                         UNION (SELECT id FROM conversations WHERE owner = \(agent) AND \(latest))) mine
                        JOIN conversations c ON c.id = mine.id
                        """
                }
            } else if !query.viewer.isSupervisor {
                binds.append(query.viewer.agentID)
                conditions.append("(c.assignee = $\(binds.count) OR c.owner = $\(binds.count))")
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            // Most urgent first: the earliest first-response due time, then the latest activity.
            let sql = """
                SELECT c.id, c.status, c.customer_id, c.owner, c.assignee, c.escalated, c.last_message_at, c.first_response_due,
                    c.callback_due, c.resolution_due, c.priority, cu.name AS customer_name
                FROM \(source) JOIN customers cu ON cu.id = c.customer_id
                \(whereClause)
                ORDER BY c.first_response_due IS NULL, c.first_response_due, c.last_message_at DESC LIMIT \(limit)
                """
            return try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { row in
                ConversationSummary(
                    id: try row["id"], status: ConversationStatus(rawValue: try row["status"]) ?? .open,
                    customer: CustomerRef(id: try row["customer_id"], name: try row["customer_name"]),
                    owner: try row["owner"], assignee: try row["assignee"], escalated: try row.flag("escalated"),
                    lastMessageAt: try row.date("last_message_at") ?? Date(epoch: 0), firstResponseDue: try row.date("first_response_due"),
                    callbackDue: try row.date("callback_due"), resolutionDue: try row.date("resolution_due"),
                    priority: Priority(rawValue: try row["priority"] as String) ?? .normal)
            }
        }
    }

    public func conversation(_ id: Int64, page: MessagePage?) async throws -> ConversationDetail? {
        try await read { db in
            guard let c = try await db.row("SELECT * FROM conversations WHERE id = \(id)") else { return nil }
            let customerID: Int64 = try c["customer_id"]
            guard let customer = try await Self.customerDetail(db, id: customerID, now: Date()) else { return nil }
            let tags = try await db.values("SELECT tag FROM conversation_tags WHERE conversation_id = \(id) ORDER BY tag", as: String.self)
            var messages: [MessageRecord]
            var nextBefore: Int64?
            if let page {
                // Newest first along messages_thread_order, one more than asked to learn whether older ones exist.
                let rows =
                    if let before = page.before {
                        try await db.rows(
                            """
                            SELECT * FROM messages WHERE conversation_id = \(id)
                                AND (created_at, id) < (SELECT created_at, id FROM messages WHERE id = \(before) AND conversation_id = \(id))
                            ORDER BY created_at DESC, id DESC LIMIT \(page.limit + 1)
                            """)
                    } else {
                        try await db.rows(
                            "SELECT * FROM messages WHERE conversation_id = \(id) ORDER BY created_at DESC, id DESC LIMIT \(page.limit + 1)")
                    }
                messages = try rows.map(Self.messageRecord(row:))
                if messages.count > page.limit {
                    messages.removeLast()
                    nextBefore = messages.last?.id
                }
                messages.reverse()
            } else {
                messages = try await db.rows("SELECT * FROM messages WHERE conversation_id = \(id) ORDER BY created_at, id")
                    .map(Self.messageRecord(row:))
            }
            var detail = ConversationDetail(
                id: id, status: ConversationStatus(rawValue: try c["status"]) ?? .open, owner: try c["owner"], assignee: try c["assignee"],
                team: try c["team"], escalated: try c.flag("escalated"), firstResponseDue: try c.date("first_response_due"),
                customer: customer, messages: messages, tags: tags, callbackDue: try c.date("callback_due"),
                mergedInto: try c["merged_into"], resolutionDue: try c.date("resolution_due"),
                priority: Priority(rawValue: try c["priority"] as String) ?? .normal, slaPolicy: try c["sla_policy"], slaReason: try c["sla_reason"])
            detail.nextBefore = nextBefore
            return detail
        }
    }

    public func access(conversation id: Int64) async throws -> ConversationAccess? {
        try await read { db in
            try await db.row("SELECT id, owner, assignee, team, status FROM conversations WHERE id = \(id)").map { try Self.access(row: $0) }
        }
    }

    public func access(message id: Int64) async throws -> ConversationAccess? {
        try await read { db in
            try await db.row(
                """
                SELECT c.id, c.owner, c.assignee, c.team, c.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.id = \(id)
                """
            ).map { try Self.access(row: $0) }
        }
    }

    public func replyRoute(conversation: Int64, inReplyTo: Int64?, via: String?, identityChannel: String?) async throws -> ReplyRoute? {
        try await read { db in
            // A redacted message (erasure, retention) no longer says where it came from: not a route.
            let columns = "id, adapter, address, thread_ref, external_id, created_at"
            let answered: PGRow?
            if let inReplyTo {
                answered = try await db.row(
                    """
                    SELECT \(unescaped: columns) FROM messages WHERE id = \(inReplyTo) AND conversation_id = \(conversation)
                        AND direction = 'inbound' AND redacted_at IS NULL
                    """)
            } else if let via {
                answered = try await db.row(
                    """
                    SELECT \(unescaped: columns) FROM messages WHERE conversation_id = \(conversation) AND direction = 'inbound' AND redacted_at IS NULL
                        AND adapter = \(via) ORDER BY created_at DESC, id DESC LIMIT 1
                    """)
            } else {
                answered = try await db.row(
                    """
                    SELECT \(unescaped: columns) FROM messages WHERE conversation_id = \(conversation) AND direction = 'inbound' AND redacted_at IS NULL
                    ORDER BY created_at DESC, id DESC LIMIT 1
                    """)
            }
            if let answered {
                let answeredAdapter: String = try answered["adapter"]
                let adapter: String = via ?? answeredAdapter
                if via != nil && via != answeredAdapter { return nil }
                let last = try await Self.lastInbound(db, conversation: conversation, adapter: adapter)
                return ReplyRoute(
                    adapter: adapter, address: try answered["address"], threadRef: try answered["thread_ref"],
                    inReplyTo: try answered["id"], inReplyToExternalID: try answered["external_id"],
                    lastInboundAt: last.map(Date.init(epoch:)), quoted: inReplyTo != nil)
            }
            guard inReplyTo == nil, let via, let identityChannel else { return nil }
            guard
                let address = try await db.value(
                    """
                    SELECT i.address FROM identities i JOIN conversations c ON c.customer_id = i.customer_id
                    WHERE c.id = \(conversation) AND i.channel = \(identityChannel) ORDER BY i.id DESC LIMIT 1
                    """, as: String.self)
            else { return nil }
            return ReplyRoute(adapter: via, address: address, threadRef: nil, inReplyTo: nil, inReplyToExternalID: nil, lastInboundAt: nil)
        }
    }

    /// The latest of `LEAST(COALESCE(sent_at, created_at), created_at)` (the platform's sending time
    /// where it gave one, never later than arrival) over the conversation's inbound messages through
    /// `adapter`. The newest such message gives a time `t`; a message that arrived before `t` cannot
    /// beat it, so only those that arrived since are read along messages_thread_order, not a long
    /// thread to its start.
    static func lastInbound(_ db: PGSession, conversation: Int64, adapter: String) async throws -> Double? {
        try await db.value(
            """
            WITH newest AS (
                SELECT LEAST(COALESCE(sent_at, created_at), created_at) AS t FROM messages
                WHERE conversation_id = \(conversation) AND direction = 'inbound' AND adapter = \(adapter)
                ORDER BY created_at DESC, id DESC LIMIT 1)
            SELECT MAX(LEAST(COALESCE(m.sent_at, m.created_at), m.created_at)) FROM messages m, newest
            WHERE m.conversation_id = \(conversation) AND m.direction = 'inbound' AND m.adapter = \(adapter) AND m.created_at >= newest.t
            """, as: Double.self)
    }

    static func access(row: PGRow, id column: String = "id") throws -> ConversationAccess {
        ConversationAccess(
            id: try row[column], owner: try row["owner"], assignee: try row["assignee"], team: try row["team"],
            status: ConversationStatus(rawValue: try row["status"]) ?? .open)
    }

    static func accessOf(_ db: PGSession, _ conversation: Int64) async throws -> ConversationAccess {
        guard let row = try await db.row("SELECT id, owner, assignee, team, status FROM conversations WHERE id = \(conversation)")
        else { throw StoreError.missing("conversation \(conversation)") }
        return try access(row: row)
    }

    static func messageRecord(_ db: PGSession, id: Int64) async throws -> MessageRecord? {
        try await db.row("SELECT * FROM messages WHERE id = \(id)").map(messageRecord(row:))
    }

    static func messageRecord(row: PGRow) throws -> MessageRecord {
        let direction = MessageDirection(rawValue: try row["direction"]) ?? .event
        var delivery: DeliveryInfo?
        if let state: String = try row["delivery_state"] {
            delivery = DeliveryInfo(
                state: DeliveryState(rawValue: state) ?? .queued, attempts: try row["delivery_attempts"] ?? 0, error: try row["delivery_error"])
        }
        let metadata = (try row["metadata"] as String?).flatMap {
            try? JSONCoding.decode([String: String].self, from: Array($0.utf8))
        }
        let attachments = (try row["attachments"] as String?).flatMap {
            try? JSONCoding.decode([Attachment].self, from: Array($0.utf8))
        }
        return MessageRecord(
            id: try row["id"], conversationID: try row["conversation_id"], direction: direction, adapter: try row["adapter"],
            channel: try row["channel"], body: try row["body"], createdAt: try row.date("created_at") ?? Date(epoch: 0),
            sentAt: try row.date("sent_at"), externalID: try row["external_id"], author: try row["author"],
            inReplyTo: try row["in_reply_to"], delivery: delivery, metadata: metadata, attachments: attachments,
            editedAt: try row.date("edited_at"), originalBody: try row["original_body"])
    }
}
