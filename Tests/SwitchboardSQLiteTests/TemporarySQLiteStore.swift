import Foundation
import SwitchboardSQLite

/// An SQLite store in a fresh temporary directory; `remove()` closes it and deletes the directory.
struct TemporarySQLiteStore: Sendable {
    let directory: URL
    let store: SQLiteStore

    init(checkpointPages: Int32 = SQLiteStore.defaultCheckpointPages) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-test-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path, checkpointPages: checkpointPages)
    }

    func remove() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a fresh store and removes it afterwards, whether `body` returned or threw.
    static func with<T>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
        let t = try TemporarySQLiteStore()
        do {
            let result = try await body(t.store)
            await t.remove()
            return result
        } catch {
            await t.remove()
            throw error
        }
    }
}
