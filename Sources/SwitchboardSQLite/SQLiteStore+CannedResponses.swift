import Foundation
import GRDB
import SwitchboardCore

/// Saved replies (migration 013). `owner` is `''` for shared ones, so one unique index keeps each
/// shortcut once per scope and owner.
extension SQLiteStore {
    static func registerCannedResponses(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("013-canned-responses") { db in
            try db.execute(
                sql: """
                    CREATE TABLE canned_responses (
                        id INTEGER PRIMARY KEY,
                        shortcut TEXT NOT NULL,
                        title TEXT NOT NULL,
                        body TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        owner TEXT NOT NULL DEFAULT '',
                        language TEXT,
                        uses INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE UNIQUE INDEX canned_responses_by_shortcut ON canned_responses(scope, owner, shortcut);
                    """)
        }
    }

    public func cannedResponses(for audience: CannedResponseAudience) async throws -> [CannedResponse] {
        try await pool.read { db in
            var sql = "SELECT * FROM canned_responses WHERE scope = 'everyone' OR (scope = 'personal' AND owner = ?)"
            var arguments: StatementArguments = [audience.agent]
            if audience.allTeams {
                sql += " OR scope LIKE 'team:%'"
            } else if !audience.teams.isEmpty {
                sql += " OR scope IN (\(audience.teams.map { _ in "?" }.joined(separator: ", ")))"
                arguments += StatementArguments(audience.teams.map { "team:\($0)" })
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(Self.cannedResponse).sorted(by: CannedResponse.listOrder)
        }
    }

    public func cannedResponse(_ id: Int64) async throws -> CannedResponse? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM canned_responses WHERE id = ?", arguments: [id]).flatMap(Self.cannedResponse)
        }
    }

    public func saveCannedResponse(
        id: Int64?, shortcut: String, scope: CannedResponseScope, owner: String?,
        _ plan: @escaping @Sendable (CannedResponse?, CannedResponse?) throws -> CannedResponse
    ) async throws -> CannedResponse {
        try await pool.write { db in
            let existing = try id.map { id -> CannedResponse in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM canned_responses WHERE id = ?", arguments: [id]).flatMap(Self.cannedResponse)
                else { throw StoreError.missing("saved reply \(id)") }
                return row
            }
            let clash = try Row.fetchOne(
                db, sql: "SELECT * FROM canned_responses WHERE scope = ? AND owner = ? AND shortcut = ? AND id <> ?",
                arguments: [scope.text, owner ?? "", shortcut, existing?.id ?? 0]
            ).flatMap(Self.cannedResponse)
            var saved = try plan(existing, clash)
            let at = saved.updatedAt.epoch
            if let existing {
                try db.execute(
                    sql: """
                        UPDATE canned_responses SET shortcut = ?, title = ?, body = ?, scope = ?, owner = ?, language = ?, updated_at = ? WHERE id = ?
                        """,
                    arguments: [saved.shortcut, saved.title, saved.body, saved.scope.text, saved.owner ?? "", saved.language, at, existing.id])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO canned_responses (shortcut, title, body, scope, owner, language, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [saved.shortcut, saved.title, saved.body, saved.scope.text, saved.owner ?? "", saved.language, at, at])
                saved.id = db.lastInsertedRowID
            }
            saved.uses = existing?.uses ?? 0
            return saved
        }
    }

    public func deleteCannedResponse(_ id: Int64, _ allowed: @escaping @Sendable (CannedResponse) throws -> Void) async throws -> Bool {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM canned_responses WHERE id = ?", arguments: [id]).flatMap(Self.cannedResponse)
            else { return false }
            try allowed(row)
            try db.execute(sql: "DELETE FROM canned_responses WHERE id = ?", arguments: [id])
            return true
        }
    }

    public func countCannedResponseUse(_ id: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE canned_responses SET uses = uses + 1 WHERE id = ?", arguments: [id])
        }
    }

    static func cannedResponse(_ row: Row) -> CannedResponse? {
        guard let scope = CannedResponseScope(row["scope"]) else { return nil }
        let owner: String = row["owner"]
        return CannedResponse(
            id: row["id"], shortcut: row["shortcut"], title: row["title"], body: row["body"], scope: scope, language: row["language"],
            owner: owner.isEmpty ? nil : owner, updatedAt: row.date("updated_at") ?? Date(epoch: 0), uses: row["uses"])
    }
}
