import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardSQLite

/// A fresh SQLite store in its own temporary directory, removed by `cleanup()`.
struct TempStore {
    let directory: URL
    let store: SQLiteStore

    init(agents: [Agent] = TestAgents.all) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-test-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        try await store.prepare(agents: agents)
    }

    func cleanup() {
        try? FileManager.default.removeItem(at: directory)
    }
}


/// A transport that answers from a closure, for adapter unit tests that check request shapes.
struct ClosureTransport: HTTPTransport {
    let handler: @Sendable (HTTPRequest) async throws -> HTTPResponse
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try await handler(request) }
}
