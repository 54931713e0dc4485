import Foundation
import GRDB

/// The words of messages for search (FTS5), in a file of their own beside the database
/// (`<database>-search`), written by a connection of their own (migration 033).
///
/// Why a second file: FTS5 merges its index segments in bursts, and a burst that reaches a word
/// found in most messages rewrites that word's whole list in one step — tens of milliseconds at a
/// million messages, more as history grows. In the database's own transactions (until 033) every
/// ingest request queued behind such a write waited for it; here only this index's writer does.
///
/// What is indexed comes from the database: `search_messages` marks the messages to index (the
/// ingest transaction writes it, cheaply), and `search_changes` holds what an edit or a removal
/// replaced — the words FTS5 needs to take an entry out (the table is contentless: the text is not
/// stored twice). A pass (``catchUp(from:limit:)``) indexes the marked messages after the last one
/// it indexed and applies the changes after the last one it applied, both from one snapshot of the
/// database, and records how far it got in the same transaction, so a pass interrupted by a crash
/// is done again whole. The file is derived data: deleted, or from another database (its
/// `generation` differs from the database's), it is rebuilt from the start.
///
/// A search first catches up (``SQLiteStore/searchMessages(_:)``), so a message is found as soon as
/// its 2xx has gone out, as before; between searches a background task keeps the index near the
/// database (``SQLiteStore/startSearchIndexing()``).
final class SQLiteMessageIndex: Sendable {
    let queue: DatabaseQueue
    let path: String

    /// The index of the database at `databasePath`.
    static func path(for databasePath: String) -> String { databasePath + "-search" }

    /// The schema the database's readers attach as (``SQLiteStore``'s readers only: the writer's
    /// `BEGIN IMMEDIATE` would take this file's write lock too).
    static let schema = "search_index"

    init(databasePath: String) throws {
        path = Self.path(for: databasePath)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.label = "switchboard-search"
        queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            // Lost commits are indexed again from the database (progress is in the same file).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // An erasure's words must not linger in free pages (see ``compact(rewriting:)``).
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5(
                        body, subject, content = '', columnsize = 0, tokenize = '\(SQLiteSearchSchema.tokenizer)');
                    CREATE TABLE IF NOT EXISTS progress (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        generation TEXT NOT NULL,
                        messages INTEGER NOT NULL,
                        changes INTEGER NOT NULL
                    );
                    """)
        }
    }

    /// One pass: up to `limit` newly marked messages and every change the database holds. Returns
    /// whether marked messages were left for another pass, and the last change applied (the
    /// database's `search_changes` up to it may go: ``SQLiteStore/catchUpSearch(deadline:)``).
    func catchUp(from pool: DatabasePool, limit: Int) async throws -> (more: Bool, changesApplied: Int64?) {
        try await queue.write { index in
            let stored = try Row.fetchOne(index, sql: "SELECT generation, messages, changes FROM progress")
            // One snapshot of the database for everything this pass reads.
            let source = try pool.read { db in try Source.read(db, after: stored, limit: limit) }
            // Nothing new (a search on a quiet gateway): no write at all.
            guard source.fresh || source.lastChange != nil || !source.added.isEmpty else { return (false, nil) }
            if source.fresh {
                // A database this index was not built from (or none yet): start over.
                try index.execute(sql: "INSERT INTO message_text (message_text) VALUES ('delete-all')")
            }
            let remove = try index.cachedStatement(sql: "INSERT INTO message_text (message_text, rowid, body, subject) VALUES ('delete', ?, ?, ?)")
            for change in source.changes {
                try remove.execute(arguments: [change.message, change.body, change.subject])
            }
            let insert = try index.cachedStatement(sql: "INSERT INTO message_text (rowid, body, subject) VALUES (?, ?, ?)")
            for text in source.changedText + source.added {
                try insert.execute(arguments: [text.message, text.body, text.subject])
            }
            try index.execute(
                sql: "INSERT OR REPLACE INTO progress (id, generation, messages, changes) VALUES (1, ?, ?, ?)",
                arguments: [source.generation, source.indexedUpTo, source.lastChange ?? source.changesBefore])
            return (source.added.count == limit, source.lastChange)
        }
    }

    /// With `rewriting`, FTS5's `optimize`: every segment merged into one, removed entries dropped
    /// (with `secure_delete`, their pages zeroed). Then the log is folded into the file and emptied.
    func compact(rewriting: Bool) async throws {
        try await queue.writeWithoutTransaction { db in
            if rewriting { try db.execute(sql: "INSERT INTO message_text (message_text) VALUES ('optimize')") }
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    func close() throws {
        try queue.close()
    }

    /// A message's words as indexed.
    struct Text {
        var message: Int64
        var body: String?
        var subject: String?
    }

    /// What one pass reads from the database.
    struct Source {
        var generation: String
        /// Entries to take out: for each message changed since the last pass and indexed before
        /// it, the words it was indexed with (the first change's old values).
        var changes: [Text] = []
        /// Those messages' words now, when they are still to be indexed.
        var changedText: [Text] = []
        var added: [Text] = []
        var indexedUpTo: Int64
        /// The last change applied before this pass, and the last one this pass read (nil: none).
        var changesBefore: Int64
        var lastChange: Int64?
        /// Whether the index starts over.
        var fresh = false

        static func text(_ row: Row) -> Text { Text(message: row[0], body: row[1], subject: row[2]) }

        static func read(_ db: Database, after stored: Row?, limit: Int) throws -> Source {
            let generation = try String.fetchOne(db, sql: "SELECT value FROM search_index_generation") ?? ""
            // An index ahead of the database lost what it indexed last (commits that never reached
            // the disk, a database restored from a copy): those ids will be given again.
            let newest = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM messages") ?? 0
            let fresh = stored?["generation"] as String? != generation || (stored?["messages"] as Int64? ?? 0) > newest
            let indexed: Int64 = fresh ? 0 : stored?["messages"] ?? 0
            let applied: Int64 = fresh ? 0 : stored?["changes"] ?? 0
            var source = Source(generation: generation, indexedUpTo: indexed, changesBefore: applied, fresh: fresh)
            let text = """
                SELECT m.id, m.body, \(SQLiteSearchSchema.subject("m.metadata")) FROM search_messages s JOIN messages m ON m.id = s.message_id
                """
            // Changes: all of them (edits and removals are rare; an erasure's are one per message).
            // One of a message not yet indexed is moot: the message is indexed as it is now (on a
            // fresh start, every message is).
            var seen = Set<Int64>()
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT seq, message_id, body, subject FROM search_changes WHERE seq > ? ORDER BY seq"), arguments: [applied])
            {
                source.lastChange = row[0]
                let message: Int64 = row[1]
                guard !fresh, message <= indexed, seen.insert(message).inserted else { continue }
                source.changes.append(Text(message: message, body: row[2], subject: row[3]))
            }
            for message in seen.sorted() {
                if let row = try Row.fetchOne(db.cachedStatement(sql: text + " WHERE s.message_id = ?"), arguments: [message]) {
                    source.changedText.append(Self.text(row))
                }
            }
            source.added = try Row.fetchAll(
                db.cachedStatement(sql: text + " WHERE s.message_id > ? ORDER BY s.message_id LIMIT ?"), arguments: [indexed, limit]
            ).map(Self.text)
            source.indexedUpTo = source.added.last?.message ?? indexed
            return source
        }
    }
}
