import GRDB
import Logging
import Synchronization

/// What keeps the message index (``SQLiteMessageIndex``) near the database between searches: a
/// pass after ingestion, at most one per ``interval`` (wake-ups meanwhile fold into the next), and
/// one a second regardless, for what other writes mark (replies, notes, edits).
final class SQLiteSearchIndexing: Sendable {
    /// The least time between two passes. Each pass writes one FTS5 segment: at 2,000 messages a
    /// second a pass after every ingest group wrote a segment of about 10 messages, as many as when
    /// the groups indexed themselves, and the merges of all those small segments with them; a
    /// fifth of a second gathers about 400.
    static let interval: Duration = .milliseconds(200)

    private let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let tasks = Mutex<[Task<Void, Never>]>([])
    let logger: Logger

    init(logger: Logger) {
        (wakeups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.logger = logger
    }

    func wake() { continuation.yield() }

    /// Starts the passes (once); `pass` returns false when its store is gone.
    func start(_ pass: @escaping @Sendable () async -> Bool) {
        tasks.withLock { tasks in
            guard tasks.isEmpty else { return }
            let wakeups = self.wakeups
            let continuation = self.continuation
            tasks.append(
                Task {
                    for await _ in wakeups {
                        if await !pass() { break }
                        try? await Task.sleep(for: Self.interval)
                    }
                })
            tasks.append(
                Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        // Ended with the passes (a store dropped without closing it): so does the clock.
                        if case .terminated = continuation.yield() { break }
                    }
                })
        }
    }

    func stop() async {
        continuation.finish()
        let running = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running {
            task.cancel()
            await task.value
        }
    }
}

extension SQLiteStore {
    /// How long a search waits for the index to take in what was stored before it: one pass
    /// normally; only an index being rebuilt (a new index file under a large history) takes longer,
    /// and then the search answers from what is indexed so far.
    static let searchCatchUpWait: Duration = .seconds(2)

    /// Messages indexed per pass at most (a rebuild takes many passes, each short).
    static let searchIndexBatch = 2_000

    func startSearchIndexing() {
        searchIndexing.start { [weak self] in
            guard let self else { return false }
            do {
                try await self.catchUpSearch(deadline: .now + .seconds(1))
            } catch is CancellationError {
                return false  // the store is closing
            } catch {
                self.logger.warning("indexing messages for search failed; the next pass tries again", metadata: ["error": "\(error)"])
            }
            return true
        }
    }

    /// Index passes until the index holds everything stored before the call (or `deadline`, if
    /// given, passes); then the changes applied leave the database.
    func catchUpSearch(deadline: ContinuousClock.Instant? = nil) async throws {
        var more = true
        while more {
            let pass = try await searchIndex.catchUp(from: pool, limit: Self.searchIndexBatch)
            if let applied = pass.changesApplied {
                try await pool.write { db in
                    try db.cachedStatement(sql: "DELETE FROM search_changes WHERE seq <= ?").execute(arguments: [applied])
                }
            }
            more = pass.more && deadline.map { ContinuousClock.now < $0 } ?? true
        }
    }
}
