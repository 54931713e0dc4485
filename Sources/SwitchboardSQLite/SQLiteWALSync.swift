import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Commits that reach the disk after they return, for ingestion's group commit.
///
/// With `synchronous=FULL` every commit waits for an fsync of the WAL (milliseconds here), and the
/// writer does nothing else meanwhile. Ingestion instead commits its group with `synchronous=OFF` (the
/// frames are written to the WAL, visible, not flushed), and ``sync()`` then flushes the WAL file on
/// another thread while the writer already commits the next group. One flush covers every frame
/// written before it, so it makes all groups committed before it durable; ``GroupCommitter`` answers a
/// group's callers only after such a flush. Every other write keeps `synchronous=FULL`.
///
/// Checkpoints are why this needs care: a checkpoint run by a connection at `synchronous=OFF` would
/// copy frames into the database file and let the WAL be overwritten without syncing either, so a
/// power loss could lose acknowledged messages. SQLite's automatic checkpoint is therefore replaced by
/// this WAL hook with the same threshold (1,000 pages), which checkpoints only when the writer is back
/// at `synchronous=FULL` (the checkpoint then syncs the WAL before copying and the database after);
/// a checkpoint that came due during a deferred commit runs right after it.
final class SQLiteWALSync: Sendable {
    /// SQLite's default automatic checkpoint threshold, in pages.
    static let checkpointPages: Int32 = 1000

    private let walPath: String
    private let flusher = DispatchQueue(label: "switchboard.sqlite.wal-sync")
    /// Written and read on the writer connection only (in its hook and around its commits).
    private let deferring = Atomic<Bool>(false)
    private let walPages = Atomic<Int32>(0)

    init(databasePath: String) {
        walPath = databasePath + "-wal"
    }

    /// Installs the hook on the writer connection (replacing SQLite's automatic checkpoint).
    func install(on db: Database) {
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, _, pages in
                let sync = Unmanaged<SQLiteWALSync>.fromOpaque(context!).takeUnretainedValue()
                sync.walPages.store(pages, ordering: .relaxed)
                if pages >= SQLiteWALSync.checkpointPages, !sync.deferring.load(ordering: .relaxed) {
                    sqlite3_wal_checkpoint(connection, nil)
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Runs `commit` (which commits a transaction) with `synchronous=OFF`, then restores FULL and
    /// runs the checkpoint that came due meanwhile. Call on the writer, outside a transaction.
    func committingLater<T>(_ db: Database, _ commit: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA synchronous = OFF")
        deferring.store(true, ordering: .relaxed)
        let result: Result<T, any Error> = Result { try commit() }
        deferring.store(false, ordering: .relaxed)
        try db.execute(sql: "PRAGMA synchronous = FULL")
        if walPages.load(ordering: .relaxed) >= Self.checkpointPages {
            _ = try? db.checkpoint(.passive)  // as SQLite's own: a busy checkpoint is retried after the next commit
        }
        return try result.get()
    }

    /// Flushes the WAL file: everything committed before the call is then on disk.
    func sync() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            flusher.async { [walPath] in
                // Opened per flush, so it is always the WAL file the database uses now.
                let fd = open(walPath, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    continuation.resume(throwing: WALSyncFailed(operation: "open \(walPath)", code: errno))
                    return
                }
                defer { close(fd) }
                if fdatasync(fd) != 0 {
                    continuation.resume(throwing: WALSyncFailed(operation: "fdatasync \(walPath)", code: errno))
                } else {
                    continuation.resume()
                }
            }
        }
    }
}

/// A failed flush of the WAL: acknowledged-to-be messages may not be on disk.
struct WALSyncFailed: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
