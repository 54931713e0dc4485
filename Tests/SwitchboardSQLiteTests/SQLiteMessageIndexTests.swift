import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardSQLite
import SwitchboardStoreTestSupport
import Testing

/// The words of messages live in a file of their own beside the database (`<database>-search`,
/// migration 033), written apart from ingestion: what an operator and an agent would notice.
@Suite struct SQLiteMessageIndexTests {
    static func said(_ id: String, from: String, _ text: String) -> IngestItem {
        IngestItem(
            adapter: "chat",
            event: .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: from), text: text)),
            receivedAt: Date())
    }

    static func search(_ store: SQLiteStore, _ text: String) async throws -> [Int64] {
        let query = SearchQuery(terms: SearchTerm.parse(text), viewer: Viewer(TestAgents.marta), limit: 50)
        return try await store.searchMessages(query).compactMap(\.message)
    }

    /// A database in a fresh directory; removed at the end of `body`.
    static func inDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory.appendingPathComponent("db.sqlite").path)
    }

    static func open(_ path: String) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.prepare(agents: TestAgents.all)
        return store
    }

    @Test func messagesAreIndexedInTheirOwnFileWithoutASearchAskingForIt() async throws {
        try await Self.inDirectory { path in
            let store = try await Self.open(path)
            let outcome = try await store.ingest([Self.said("m1", from: "olga", "the parcel never came")], policy: TestAgents.policy)[0]
            let message = try #require(outcome.message?.id)
            // Nothing searched: the background pass alone brings the index to the newest message.
            var readOnly = Configuration()
            readOnly.readonly = true
            let index = try DatabaseQueue(path: path + "-search", configuration: readOnly)
            var indexed: Int64 = 0
            for _ in 0..<100 where indexed < message {
                indexed = try await index.read { db in try Int64.fetchOne(db, sql: "SELECT messages FROM progress") } ?? 0
                if indexed < message { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(indexed == message)
            let words = try await index.read { db in
                try Int64.fetchAll(db, sql: "SELECT rowid FROM message_text WHERE message_text MATCH 'parcel'")
            }
            #expect(words == [message])
            try index.close()
            // And the database itself no longer holds the message's words for search.
            let tables = try await DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'search_message_text%'")
            }
            #expect(tables.isEmpty)
            try await store.close()
        }
    }

    @Test func anErasureLeavesNoneOfTheCustomersWordsInTheIndexFile() async throws {
        try await Self.inDirectory { path in
            let store = try await Self.open(path)
            let eva = try await store.ingest([Self.said("e1", from: "eva", "my zyxquartz order")], policy: TestAgents.policy)[0]
            _ = try await store.ingest([Self.said("o1", from: "otto", "another parcel")], policy: TestAgents.policy)
            #expect(try await Self.search(store, "zyxquartz").count == 1)  // indexed, in a segment of the file
            _ = try await CustomerErasure(store: store).erase(try #require(eva.customerID), reason: "asked", by: "marta")
            #expect(try await Self.search(store, "zyxquartz").isEmpty)
            #expect(try await Self.search(store, "parcel").count == 1)
            try await store.close()
            // FTS5 keeps a removed word in its segments until they are merged: the erasure merged them.
            let files = ["-search", "-search-wal"].map { path + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            let bytes = try files.reduce(Data()) { $0 + (try Data(contentsOf: URL(fileURLWithPath: $1))) }
            #expect(bytes.count > 0)
            #expect(bytes.range(of: Data("zyxquartz".utf8)) == nil)
        }
    }

    @Test func aDeletedIndexFileIsRebuiltAndFindsEverything() async throws {
        try await Self.inDirectory { path in
            var store = try await Self.open(path)
            var ids: [Int64] = []
            for n in 0..<5 {
                let outcome = try await store.ingest([Self.said("m\(n)", from: "c\(n)", "invoice number \(n) is wrong")], policy: TestAgents.policy)
                ids.append(try #require(outcome[0].message?.id))
            }
            #expect(try await Self.search(store, "invoice") == ids.reversed())
            try await store.close()

            for suffix in ["-search", "-search-wal", "-search-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            store = try await Self.open(path)
            #expect(try await Self.search(store, "invoice") == ids.reversed())
            #expect(try await Self.search(store, "3") == [ids[3]])
            try await store.close()
        }
    }

    @Test func anIndexAheadOfItsDatabaseStartsOverInsteadOfMatchingOldWords() async throws {
        try await Self.inDirectory { path in
            var store = try await Self.open(path)
            _ = try await store.ingest([Self.said("a", from: "ana", "first words")], policy: TestAgents.policy)
            try await store.close()
            // The operator's copy of the database (its files, not the index's), taken now.
            let files = ["", "-wal", "-shm"].map { path + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            for file in files { try FileManager.default.copyItem(atPath: file, toPath: file + ".copy") }

            store = try await Self.open(path)
            for n in 0..<3 {
                _ = try await store.ingest([Self.said("z\(n)", from: "zoe", "zebra crossing \(n)")], policy: TestAgents.policy)
            }
            #expect(try await Self.search(store, "zebra").count == 3)
            try await store.close()

            // Restored from the copy; the index file is the newer one, and its ids will be given again.
            for file in ["", "-wal", "-shm"].map({ path + $0 }) { try? FileManager.default.removeItem(atPath: file) }
            for file in files { try FileManager.default.moveItem(atPath: file + ".copy", toPath: file) }
            store = try await Self.open(path)
            let walrus = try await store.ingest([Self.said("w", from: "wes", "walrus tusk")], policy: TestAgents.policy)[0]
            #expect(try await Self.search(store, "zebra").isEmpty)
            #expect(try await Self.search(store, "walrus") == [try #require(walrus.message?.id)])
            #expect(try await Self.search(store, "first").count == 1)
            try await store.close()
        }
    }
}
