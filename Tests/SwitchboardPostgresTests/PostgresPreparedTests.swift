import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// `storage.prepared_statements`: the hot statements sent by name and sent unnamed store the same
/// rows and answer the same outcomes.
@Suite(.integration) struct PostgresPreparedTests {
    /// Groups with new and returning customers, a duplicate, mail answering stored mail, metadata,
    /// a thread reference, a sent time and attachments (nullable columns both set and not), an edit and
    /// a status for an unknown reply.
    static func groups(at: Date) -> [[IngestItem]] {
        var rich = InboundMessage(
            externalID: "r1", from: ChannelIdentity(channel: "chat", address: "b@x"), customerName: "Bea", text: "with extras")
        rich.metadata = ["order": "42"]
        rich.threadRef = "thread-7"
        rich.sentAt = at - 5
        rich.attachments = [Attachment(kind: "image", mimeType: "image/png", fileName: "a.png", size: 3, url: "https://x.test/a.png")]
        var edited = rich
        edited.text = "with extras, edited"
        return [
            [
                inbound("1", from: "a@x", at: at), IngestItem(adapter: "chat", event: .message(rich), receivedAt: at),
                mail("m1", from: "c@example.com", at: at), inbound("2", from: "a@x", at: at + 1),
            ],
            [
                inbound("3", from: "a@x", at: at + 2), inbound("1", from: "a@x", at: at + 2),
                mail("m2", from: "c@example.com", references: ["m1"], at: at + 3), inbound("4", from: "d@x", at: at + 3),
                IngestItem(adapter: "chat", event: .edit(edited, editedAt: at + 4), receivedAt: at + 4),
                IngestItem(adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "none", state: .delivered)), receivedAt: at + 4),
                inbound("5", from: "b@x", at: at + 5),
            ],
        ]
    }

    @Test func preparedAndUnpreparedStoreAndAnswerTheSameGroups() async throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        var runs: [(outcomes: [String], rows: [String])] = []
        for prepared in [true, false] {
            let database = try await PostgresTestServer.shared.createDatabase()
            // One connection: the statements prepared on it are the ones the groups used.
            let store = try await PostgresTestServer.shared.store(database: database, pool: 1, preparedStatements: prepared)
            do {
                try await store.prepare(agents: TestAgents.all)
                var outcomes: [String] = []
                for group in Self.groups(at: at) {
                    outcomes += try await store.ingest(group, policy: TestAgents.policy).map { String(describing: $0) }
                }
                let rows = try await store.read { db in
                    var rows: [String] = []
                    for table in ["customers", "identities", "conversations", "messages", "outbox", "agents", "automation_queue"] {
                        rows += try await db.values(
                            "SELECT '\(unescaped: table) ' || row_to_json(t)::text FROM \(unescaped: table) t ORDER BY 1", as: String.self)
                    }
                    return rows
                }
                let named = try await store.read { db in
                    try await db.value("SELECT count(*)::bigint FROM pg_prepared_statements WHERE name LIKE 'sb\\_%'", as: Int64.self)
                }
                #expect(prepared ? (named ?? 0) > 5 : named == 0, "prepared: \(prepared), named statements: \(named ?? -1)")
                #expect(rows.contains { $0.hasPrefix("messages ") && $0.contains("thread-7") && $0.contains("a.png") })
                runs.append((outcomes, rows))
            } catch {
                Issue.record("prepared: \(prepared): \(String(reflecting: error))")
                try? await store.close()
                try? await PostgresTestServer.shared.dropDatabase(database)
                throw error
            }
            try? await store.close()
            try? await PostgresTestServer.shared.dropDatabase(database)
        }
        #expect(runs[0].outcomes == runs[1].outcomes)
        #expect(runs[0].rows == runs[1].rows)
    }
}
