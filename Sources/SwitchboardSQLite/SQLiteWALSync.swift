import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Glibc
import Logging
import Metrics
import SwitchboardCore
import Synchronization

/// Commits that reach the disk after they return, for ingestion's group commit, and checkpoints
/// that never hold up the writer.
///
/// With `synchronous=FULL` every commit waits for an fsync of the WAL (milliseconds here), and the
/// writer does nothing else meanwhile. Ingestion instead commits its group with `synchronous=OFF` (the
/// frames are written to the WAL, visible, not flushed), and ``sync()`` then flushes the WAL file on
/// another thread while the writer already commits the next group. One flush covers every frame
/// written before it, so it makes all groups committed before it durable; ``GroupCommitter`` answers a
/// group's callers only after such a flush. Every other write keeps `synchronous=FULL`.
///
/// Checkpoints run on a connection of their own, on their own thread, at `synchronous=FULL`: SQLite's
/// automatic checkpoint would run inside the committing writer (copying 1,000 pages and syncing twice
/// while ingestion waits) and, after a commit at `synchronous=OFF`, without syncing at all — copying
/// frames into the database file and letting the WAL be overwritten before either is on disk. The WAL
/// hook replaces it (with ``SQLiteStore/defaultCheckpointPages``) and hands the checkpoint to that connection,
/// which syncs the WAL before copying and the database after. Under steady ingestion the writer always
/// commits while such a checkpoint runs, so the WAL would never be found fully copied and restarted
/// from its beginning: past twice the threshold the writer, back at FULL after its commit, checkpoints
/// the little the background left (and the next transaction restarts the WAL) — only when it is
/// little. Copying and syncing what a background checkpoint could not (readers holding old frames, a
/// slow disk) stalled every ingest request for the time of it: 50–190 ms p99 in a 30-minute soak,
/// in the minutes the WAL grew. Past eight times the threshold the writer catches up regardless, so
/// the WAL stays bounded.
final class SQLiteWALSync: Sendable {
    /// The checkpoint threshold, in pages (``SQLiteStore/defaultCheckpointPages``).
    let checkpointPages: Int32

    private let databasePath: String
    private let walPath: String
    private let flusher = DispatchQueue(label: "switchboard.sqlite.wal-sync")
    private let checkpoints = DispatchQueue(label: "switchboard.sqlite.checkpoint")
    private let checkpointDue = Atomic<Bool>(false)
    /// Frames in the WAL after the writer's last commit (written by the hook, on the writer).
    private let walPages = Atomic<Int32>(0)
    /// How far into the WAL the last background checkpoint has copied, in frames (0 after a restart).
    private let backfilled = Atomic<Int32>(0)
    /// The checkpointing connection, opened on first use; used on `checkpoints` only.
    private let checkpointer = Mutex<DatabaseQueue?>(nil)

    private let logger: Logger
    /// What SQLite holds in memory (page caches of every connection, statements), recorded with each
    /// background checkpoint: tells SQLite's share of the gateway's RSS from the Swift side's.
    private let sqliteMemory = Gauge(label: "switchboard_sqlite_memory_bytes")
    /// A background checkpoint slower than this is logged: the disk is behind, and the WAL grows (and
    /// ingestion's own flushes wait) until it catches up. The writer's own is logged past 50 ms: every
    /// ingest request waits for it.
    static let slowCheckpoint: Duration = .milliseconds(250)
    static let slowWriterCheckpoint: Duration = .milliseconds(50)

    init(databasePath: String, checkpointPages: Int32 = SQLiteStore.defaultCheckpointPages, logger: Logger) {
        self.databasePath = databasePath
        self.checkpointPages = checkpointPages
        self.logger = logger
        walPath = databasePath + "-wal"
    }

    /// Installs the hook on the writer connection (replacing SQLite's automatic checkpoint), and
    /// has a WAL grown past its usual bound by a large write (an import, a generated history) cut
    /// back to it when it restarts, so the file does not keep the disk space of its largest moment.
    func install(on db: Database) throws {
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        try db.execute(sql: "PRAGMA journal_size_limit = \(Int(Self.walBound * checkpointPages) * pageSize)")
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, _, _, pages in
                let sync = Unmanaged<SQLiteWALSync>.fromOpaque(context!).takeUnretainedValue()
                sync.walPages.store(pages, ordering: .relaxed)
                sync.walGrew(to: pages)
                return SQLITE_OK
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The WAL's frame count when the last background checkpoint was asked for (0 after a restart).
    private let scheduledAt = Atomic<Int32>(0)

    /// Asks for a background checkpoint once the WAL is past the threshold and has grown by a quarter
    /// of it since the last one asked, so that each copies hundreds of frames for its two syncs. Asking
    /// after every commit past the threshold (as before) ran ~500 checkpoints a second at 2,000
    /// messages/s, each syncing the database file for the few frames one commit adds, and kept the
    /// checkpoint lock so busy that the writer's own catch-up (past twice the threshold) was refused.
    private func walGrew(to pages: Int32) {
        var last = scheduledAt.load(ordering: .relaxed)
        if pages < last {  // the WAL was restarted
            last = 0
            scheduledAt.store(0, ordering: .relaxed)
            backfilled.store(0, ordering: .relaxed)
        }
        guard pages >= checkpointPages, pages - last >= max(1, checkpointPages / 4) else { return }
        scheduledAt.store(pages, ordering: .relaxed)
        scheduleCheckpoint()
    }

    private func scheduleCheckpoint() {
        guard !checkpointDue.exchange(true, ordering: .acquiringAndReleasing) else { return }
        checkpoints.async { [self] in
            checkpointDue.store(false, ordering: .releasing)
            sqliteMemory.record(sqlite3_memory_used())
            // A busy or failed checkpoint is tried again after a later commit, as SQLite's own is;
            // the WAL keeps every frame until one succeeds.
            try? checkpointer.withLock { connection in
                if connection == nil {
                    var configuration = Configuration()
                    configuration.label = "switchboard.checkpoint"
                    connection = try DatabaseQueue(path: databasePath, configuration: configuration)
                    try connection?.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                }
                try connection?.writeWithoutTransaction { db in
                    let started = ContinuousClock.now
                    let result = try db.checkpoint(.passive)
                    backfilled.store(Int32(clamping: result.checkpointedFrameCount), ordering: .relaxed)
                    logIfSlow("a checkpoint", over: Self.slowCheckpoint, since: started, result, meanwhile: "the WAL grows")
                }
            }
        }
    }

    private func logIfSlow(
        _ what: String, over limit: Duration, since started: ContinuousClock.Instant, _ result: (walFrameCount: Int, checkpointedFrameCount: Int),
        meanwhile: String
    ) {
        let took = ContinuousClock.now - started
        guard took >= limit else { return }
        logger.warning(
            "\(what) was slow: the disk is behind, and \(meanwhile)",
            metadata: [
                "took_ms": "\(took.wholeMilliseconds)", "wal_frames": "\(result.walFrameCount)",
                "backfilled_frames": "\(result.checkpointedFrameCount)",
            ])
    }

    /// Closes the checkpointing connection (before the pool's, so that the last one to close is the pool's).
    func close() {
        checkpoints.sync { [self] in
            checkpointer.withLock { connection in
                try? connection?.close()
                connection = nil
            }
        }
    }

    /// Runs `commit` (which commits a transaction) with `synchronous=OFF`, then restores FULL (and
    /// checkpoints what the background left, past twice the threshold). Call on the writer, outside a
    /// transaction.
    func committingLater<T>(_ db: Database, _ commit: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "PRAGMA synchronous = OFF").execute()
        let result: Result<T, any Error> = Result { try commit() }
        try db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute()
        catchUp(db)
        return try result.get()
    }

    /// How many times the threshold the WAL may reach before the writer catches up regardless; a
    /// WAL file larger than that (after a bulk write) is cut back to it when the WAL restarts.
    static let walBound: Int32 = 8

    /// Checkpoints on the writer what the background checkpoints left, once the WAL is past 8 ×
    /// the threshold, or past 2 × with little left to copy: the WAL stays bounded however far
    /// behind the background is (it cannot finish while the writer keeps appending, and an
    /// unfinished checkpoint never lets the WAL restart). Busy (a background checkpoint running):
    /// tried again after the next group.
    private func catchUp(_ db: Database) {
        let pages = walPages.load(ordering: .relaxed)
        let left = pages - backfilled.load(ordering: .relaxed)
        guard pages >= Self.walBound * checkpointPages || (pages >= 2 * checkpointPages && left <= checkpointPages / 4) else { return }
        let started = ContinuousClock.now
        if let result = try? db.checkpoint(.passive) {
            logIfSlow("the writer's checkpoint", over: Self.slowWriterCheckpoint, since: started, result, meanwhile: "every ingest waited")
        }
        walPages.store(0, ordering: .relaxed)
    }

    /// After a write of thousands of rows outside ingestion (a generated history, an import), which
    /// nothing else would follow with a catch-up: copies the whole WAL into the database and
    /// empties the file, waiting for a background checkpoint in progress and (up to the busy
    /// timeout) for readers. Call on the writer, at FULL, outside a transaction.
    func checkpointAll(_ db: Database) {
        checkpoints.sync {}
        _ = try? db.checkpoint(.truncate)
        walPages.store(0, ordering: .relaxed)
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
                defer { Glibc.close(fd) }
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
