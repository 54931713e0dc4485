import Foundation
import GRDB
import SwitchboardCore
import SwitchboardSQLite
import SwitchboardStoreTestSupport
import Testing

/// Migration 027 fills the contact counts from the messages a database already holds.
@Suite struct SQLiteContactCountMigrationTests {
    @Test func theMigrationCountsTheMessagesAlreadyStored() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var store = try SQLiteStore(path: path)
        try await store.prepare(agents: TestAgents.all)
        let eva = try await store.ingest(
            [
                mail("1", from: "eva@example.com", at: now), mail("2", from: "eva@example.com", adapter: "gmail", at: now),
                mail("3", from: "eva@example.com", at: now), mail("4", from: "eva@example.com", kind: .automated, at: now),
            ], policy: TestAgents.policy)[0]
        try await store.close()

        // The database as it was before migration 027.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    DROP TRIGGER contacts_message_added; DROP TRIGGER contacts_message_left;
                    DROP TRIGGER contacts_message_arrived; DROP TRIGGER contacts_message_removed;
                    DROP TABLE conversation_contacts;
                    DELETE FROM grdb_migrations WHERE identifier = '027-contact-counts';
                    """)
        }
        try queue.close()

        store = try SQLiteStore(path: path)
        try await store.prepare(agents: TestAgents.all)  // migrates
        let customer = try #require(try await store.customer(eva.customerID!, now: now))
        #expect(customer.contactsByChannel == ["mail": 2, "gmail": 1])
        try await store.close()
    }
}
