import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
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

enum TestAgents {
    static let ana = Agent(id: "ana", name: "Ana", role: .agent, teams: ["support"], capacity: 25)
    static let luis = Agent(id: "luis", name: "Luis", role: .agent, teams: ["support"], capacity: 25)
    static let marta = Agent(id: "marta", name: "Marta", role: .supervisor, teams: ["support"])
    static let all = [ana, luis, marta]

    static var policy: IngestPolicy {
        IngestPolicy(
            assignment: AssignmentPolicy(directory: AgentDirectory(agents: all)),
            teamOfAdapter: { _ in "support" }, firstResponse: { _ in .seconds(3600) })
    }
}

func inbound(_ id: String, from: String, text: String = "hello", adapter: String = "chat", channel: String = "chat", at: Date = Date()) -> IngestItem {
    IngestItem(
        adapter: adapter,
        event: .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: channel, address: from), customerName: nil, text: text)),
        receivedAt: at)
}

/// A transport that answers from a closure, for adapter unit tests that check request shapes.
struct ClosureTransport: HTTPTransport {
    let handler: @Sendable (HTTPRequest) async throws -> HTTPResponse
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try await handler(request) }
}
