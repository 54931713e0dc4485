import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import SwitchboardSQLite

/// The by-position reading the ingest path uses instead of GRDB's `Row`.
@Suite struct SQLiteRowReadingTests {
    private func withQueue(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, flag INTEGER);
                    INSERT INTO t VALUES (1, 'ana', 1.5, 1), (2, NULL, NULL, 0), (3, 'luis', 2.0, 1);
                    """)
            try body(db)
        }
    }

    @Test func readsTypedValuesAndNullsByPosition() throws {
        try withQueue { db in
            let statement = try db.cachedStatement(sql: "SELECT id, name, score, flag FROM t WHERE id = ?")
            let first = try statement.first([1]) { row -> String in
                let id: Int64 = row[0]
                let name: String? = row[1]
                let score: Double = row[2]
                let flag: Bool = row[3]
                return "\(id) \(name ?? "-") \(score) \(flag)"
            }
            #expect(first == "1 ana 1.5 true")
            let nulls = try statement.first([2]) { row -> String in
                let name: String? = row[1]
                let score: Double? = row[2]
                return "\(name ?? "nil") \(score.map { "\($0)" } ?? "nil")"
            }
            #expect(nulls == "nil nil")
            #expect(try statement.first([9]) { $0[0] as Int64 } == nil)
        }
    }

    @Test func readsEveryRowInOrderWithArguments() throws {
        try withQueue { db in
            let ids = try db.makeStatement(sql: "SELECT id FROM t WHERE flag = ? ORDER BY id DESC").all([1]) { $0[0] as Int64 }
            #expect(ids == [3, 1])
            #expect(try db.makeStatement(sql: "SELECT id FROM t WHERE id > 10").all { $0[0] as Int64 }.isEmpty)
        }
    }

    /// A statement stopped on its first row must not stay busy: a busy statement keeps its read open
    /// (holding back checkpoints) and the next use of the cached statement would continue it.
    @Test func firstLeavesTheStatementReset() throws {
        try withQueue { db in
            let statement = try db.cachedStatement(sql: "SELECT id FROM t ORDER BY id")
            #expect(try statement.first { $0[0] as Int64 } == 1)
            #expect(sqlite3_stmt_busy(statement.sqliteStatement) == 0)
            #expect(try statement.first { $0[0] as Int64 } == 1)  // from the start again, not row 2
        }
    }

    @Test func argumentsFromConvertedValuesBindInOrder() throws {
        try withQueue { db in
            let arguments = StatementArguments(databaseValues: ["eva".databaseValue, 4.databaseValue])
            try db.execute(sql: "UPDATE t SET name = ? WHERE id = 2", arguments: StatementArguments(databaseValues: ["zoe".databaseValue]))
            try db.execute(sql: "INSERT INTO t (name, id) VALUES (?, ?)", arguments: arguments)
            #expect(try String.fetchOne(db, sql: "SELECT name FROM t WHERE id = 4") == "eva")
            #expect(try String.fetchOne(db, sql: "SELECT name FROM t WHERE id = 2") == "zoe")
        }
    }
}
