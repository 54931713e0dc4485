import Foundation
import GRDB
import SwitchboardCore

extension SQLiteStore {
    public func orphanedConversations() async throws -> [ConversationAccess] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.owner, c.assignee, c.team, c.status FROM conversations c
                    WHERE c.status = 'open' AND (
                        (c.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.owner AND a.configured = 1)) OR
                        (c.assignee IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.assignee AND a.configured = 1)))
                    ORDER BY c.created_at
                    """
            ).map { Self.access(row: $0) }
        }
    }
}
