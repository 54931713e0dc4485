import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardSQLite
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Testing

/// `export` / `import` between the engines: what the gateway shows is the same after the move,
/// a round trip gives the same bytes, and a bad dump or a used target is refused.
@Suite struct TransferTests {
    static let base = Date(timeIntervalSince1970: 1_770_000_000.123456)
    static let now = base.addingTimeInterval(3600)
    static let supervisor = Viewer(agentID: "marta", isSupervisor: true)

    /// A deployment with a bit of everything: several customers and adapters, text that needs
    /// escaping, replies delivered / dead-lettered / still queued, a note, tags, a merge, a
    /// resolved conversation, a suggestion, a console password and session.
    struct Filled {
        var conversations: [Int64]
        var customers: [Int64]
        var maxMessageID: Int64
    }

    static func fill(_ store: any Store) async throws -> Filled {
        let policy = TestAgents.policy
        let items = [
            inbound("c1", from: "a@x", text: "hello \"quoted\" \\ back\nnew line, tab\t, ñ, 😀", at: base),
            inbound("c2", from: "b@x", text: "second customer", at: base.addingTimeInterval(1.5)),
            mail("m1", from: "eva@example.com", text: "Subject line\n\n-- \nEva", at: base.addingTimeInterval(2.25)),
            inbound("w1", from: "+34600111222", adapter: "wa", channel: "whatsapp", at: base.addingTimeInterval(3)),
            inbound("c3", from: "a@x", text: "again", at: base.addingTimeInterval(4)),
        ]
        let outcomes = try await store.ingest(items, policy: policy)
        #expect(outcomes.allSatisfy { $0.kind == .stored })
        let a = outcomes[0].conversationID!
        let b = outcomes[1].conversationID!
        let eva = outcomes[2].conversationID!

        func reply(_ conversation: Int64, _ body: String, at: Date) async throws -> MessageRecord {
            let route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
            return try await store.appendReply(conversation: conversation, author: "ana", body: body, route: route, at: at)
        }
        let delivered = try await reply(a, "on it", at: base.addingTimeInterval(10))
        let dead = try await reply(b, "this one fails", at: base.addingTimeInterval(11))
        _ = try await reply(eva, "queued, never tried", at: base.addingTimeInterval(12))
        let claimed = try await store.claimDeliveries(
            now: base.addingTimeInterval(13), limit: 2, claimer: "g1", leaseUntil: base.addingTimeInterval(60))
        #expect(Set(claimed.map(\.messageID)) == [delivered.id, dead.id])
        _ = try await store.completeDelivery(
            message: delivered.id, result: .delivered(DeliveryReceipt(externalID: "platform-1", state: .sent)), at: base.addingTimeInterval(14))
        _ = try await store.completeDelivery(message: dead.id, result: .failed(error: "HTTP 410: gone"), at: base.addingTimeInterval(14))

        _ = try await store.appendInternal(conversation: a, direction: .note, author: "ana", body: "VIP", at: base.addingTimeInterval(20))
        _ = try await store.addTags(conversation: a, tags: ["billing", "vip"], by: "ana", at: base.addingTimeInterval(21))
        _ = try await store.merge(
            survivor: outcomes[0].customerID!, absorbed: outcomes[3].customerID!, by: "ana", at: base.addingTimeInterval(30),
            references: testReferences)
        _ = try await store.resolve(conversation: b, author: "luis", at: base.addingTimeInterval(40))
        _ = try await store.addSuggestion(author: "ana", body: "a macro for refunds", conversation: a, at: base.addingTimeInterval(50))
        // Issue 20's tables: a saved reply used once, a note mentioning Luis (a mention and his grant).
        let saved = try await store.saveCannedResponse(id: nil, shortcut: "gracias", scope: .everyone, owner: nil) { _, _ in
            CannedResponse(
                id: 0, shortcut: "gracias", title: "Gracias", body: "¡Gracias, {customer.first_name}!", scope: .everyone, language: "es",
                owner: nil, updatedAt: base.addingTimeInterval(55))
        }
        try await store.countCannedResponseUse(saved.id)
        _ = try await store.note(conversation: a) { state in
            MentionPlanner.note(state, body: "@luis mira esto", author: "ana", mentioning: [TestAgents.luis], at: base.addingTimeInterval(56))
        }
        let sessions = store
        try await sessions.setPassword(agent: "ana", hash: Array(repeating: 0xAB, count: 32), salt: [0, 1, 2, 255], iterations: 600_000, at: base)
        try await sessions.createSession(tokenHash: Array(repeating: 7, count: 32), agent: "ana", csrfToken: "csrf-1", at: base)

        let all = try await store.conversations(ConversationQuery(viewer: supervisor, status: .all))
        let ids = Set(all.map(\.id)).union(outcomes.compactMap(\.conversationID))
        var maxMessage: Int64 = 0
        for id in ids { maxMessage = max(maxMessage, try await store.conversation(id)?.messages.map(\.id).max() ?? 0) }
        return Filled(conversations: ids.sorted(), customers: Set(outcomes.compactMap(\.customerID)).sorted(), maxMessageID: maxMessage)
    }

    /// What agents see through the gateway, read the same way from any store.
    struct Visible: Equatable {
        var conversations: [ConversationDetail?]
        var customers: [CustomerDetail?]
        var list: [ConversationSummary]
        var suggestions: [Suggestion]
        var session: ConsoleSession?
        var password: StoredPassword?
        var nextDue: Date?
        /// The search index, rebuilt by the target's triggers as the rows arrive.
        var found: [SearchHit]
        var cards: [SearchHit]
        var savedReplies: [CannedResponse]
        var mentions: [Mention]
        var grants: [ReadGrant]
    }

    static func visible(_ store: any Store, _ filled: Filled) async throws -> Visible {
        var conversations: [ConversationDetail?] = []
        for id in filled.conversations { conversations.append(try await store.conversation(id)) }
        var customers: [CustomerDetail?] = []
        for id in filled.customers { customers.append(try await store.customer(id, now: now)) }
        let sessions = store
        return Visible(
            conversations: conversations, customers: customers,
            list: try await store.conversations(ConversationQuery(viewer: supervisor, status: .all)),
            suggestions: try await store.suggestions(limit: 10),
            session: try await sessions.session(tokenHash: Array(repeating: 7, count: 32)),
            password: try await sessions.password(agent: "ana"),
            nextDue: try await store.nextDeliveryDue(),
            found: try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("quoted"), viewer: supervisor)),
            cards: try await store.searchConversations(SearchQuery(terms: SearchTerm.parse("vip"), viewer: supervisor)),
            savedReplies: try await store.cannedResponses(for: CannedResponseAudience(TestAgents.marta)),
            mentions: try await store.mentions(of: "luis", before: nil, limit: 10),
            grants: try await store.readGrants().sorted { ($0.conversation, $0.agent) < ($1.conversation, $1.agent) })
    }

    static func transfer(_ t: StoreUnderTest) -> any TransferStore { t.store as! any TransferStore }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sb-dump-\(UUID().uuidString)-\(name)").path
    }

    /// The dump without its header line (which carries the engine and the time).
    static func rows(of path: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data[(data.firstIndex(of: 0x0A)! + 1)...]
    }

    @Test(.integration) func sqliteToPostgresAndBackShowsTheSameAndGivesTheSameBytes() async throws {
        let sqlite = try await StoreUnderTest.make(.sqlite)
        let filled = try await Self.fill(sqlite.store)
        let before = try await Self.visible(sqlite.store, filled)
        #expect(before.conversations.allSatisfy { $0 != nil } && before.session != nil && before.password != nil)
        #expect(before.found.count == 1 && before.cards.count == 1 && before.savedReplies.map(\.uses) == [1])
        #expect(before.mentions.count == 1 && before.grants == [ReadGrant(conversation: filled.conversations[0], agent: "luis")])

        let first = Self.temporary("1")
        let header = try await DataTransfer.export(from: Self.transfer(sqlite), to: first)
        #expect(header.source == "sqlite")
        #expect(header.tables.first { $0.name == "messages" }?.rows ?? 0 >= 9)
        #expect(header.tables.first { $0.name == "merges" }?.rows == 1)

        let postgres = try await StoreUnderTest.make(.postgres)
        try await DataTransfer.importDump(at: first, into: Self.transfer(postgres))
        let moved = try await Self.visible(postgres.store, filled)
        #expect(moved == before)

        // And back: PostgreSQL → SQLite gives the very same rows, byte for byte.
        let second = Self.temporary("2")
        let pgHeader = try await DataTransfer.export(from: Self.transfer(postgres), to: second)
        #expect(pgHeader.source == "postgres")
        #expect(pgHeader.tables.map(\.sha256) == header.tables.map(\.sha256))
        let back = try await StoreUnderTest.make(.sqlite)
        try await DataTransfer.importDump(at: second, into: Self.transfer(back))
        let third = Self.temporary("3")
        _ = try await DataTransfer.export(from: Self.transfer(back), to: third)
        #expect(try Self.rows(of: first) == Self.rows(of: second))
        #expect(try Self.rows(of: first) == Self.rows(of: third))
        #expect(try await Self.visible(back.store, filled) == before)

        // New rows on the target get fresh ids (the identity sequences moved past the imported ones).
        let fresh = try await postgres.store.ingest([inbound("n1", from: "new@x", at: Self.now)], policy: TestAgents.policy)
        #expect(fresh[0].kind == .stored)
        #expect(!filled.conversations.contains(fresh[0].conversationID!))
        #expect(!filled.customers.contains(fresh[0].customerID!))
        #expect(fresh[0].messageID! > filled.maxMessageID)
        let route = try #require(
            try await postgres.store.replyRoute(conversation: filled.conversations[0], inReplyTo: nil, via: nil, identityChannel: nil))
        let newReply = try await postgres.store.appendReply(
            conversation: filled.conversations[0], author: "ana", body: "later", route: route, at: Self.now)
        #expect(newReply.id > fresh[0].messageID!)
        // The queued reply still leaves from the new store, the dead-lettered one does not.
        let due = try await postgres.store.claimDeliveries(now: Self.now, limit: 10, claimer: "g", leaseUntil: Self.now.addingTimeInterval(60))
        #expect(due.map(\.body).contains("queued, never tried"))
        #expect(!due.map(\.body).contains("this one fails"))

        for path in [first, second, third] { try? FileManager.default.removeItem(atPath: path) }
        for t in [sqlite, postgres, back] { await t.cleanup() }
    }

    @Test(.integration) func anAlteredRowFailsVerificationNamingTheTableAndLeavesTheTargetEmpty() async throws {
        let sqlite = try await StoreUnderTest.make(.sqlite)
        _ = try await Self.fill(sqlite.store)
        let path = Self.temporary("altered")
        _ = try await DataTransfer.export(from: Self.transfer(sqlite), to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"second customer\""))
        try text.replacingOccurrences(of: "\"second customer\"", with: "\"second customex\"").write(toFile: path, atomically: true, encoding: .utf8)

        let postgres = try await StoreUnderTest.make(.postgres)
        do {
            try await DataTransfer.importDump(at: path, into: Self.transfer(postgres))
            Issue.record("an altered dump was imported")
        } catch let error as TransferError {
            guard case .invalidDump(let table, _, let reason) = error else { throw error }
            #expect(table == "messages")
            #expect(reason.contains("SHA-256"))
        }
        #expect(try await postgres.store.conversations(ConversationQuery(viewer: Self.supervisor, status: .all)).isEmpty)
        // Nothing half-loaded: the same target takes the intact dump afterwards.
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try await DataTransfer.importDump(at: path, into: Self.transfer(postgres))
        let expected = try await sqlite.store.conversations(ConversationQuery(viewer: Self.supervisor, status: .all))
        #expect(try await postgres.store.conversations(ConversationQuery(viewer: Self.supervisor, status: .all)) == expected)

        // A dump cut short is refused too.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        try lines.prefix(lines.count - 3).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let empty = try await StoreUnderTest.make(.sqlite)
        await #expect(throws: TransferError.self) { try await DataTransfer.importDump(at: path, into: Self.transfer(empty)) }
        #expect(try await empty.store.conversations(ConversationQuery(viewer: Self.supervisor, status: .all)).isEmpty)

        try? FileManager.default.removeItem(atPath: path)
        for t in [sqlite, postgres, empty] { await t.cleanup() }
    }

    @Test(.integration, arguments: Engine.sql)
    func aTargetThatHoldsConversationsIsRefused(_ engine: Engine) async throws {
        let source = try await StoreUnderTest.make(.sqlite)
        _ = try await Self.fill(source.store)
        let path = Self.temporary("refused")
        _ = try await DataTransfer.export(from: Self.transfer(source), to: path)

        let target = try await StoreUnderTest.make(engine)
        _ = try await target.store.ingest([inbound("x", from: "someone@x")], policy: TestAgents.policy)
        do {
            try await DataTransfer.importDump(at: path, into: Self.transfer(target))
            Issue.record("imported into a target that holds data")
        } catch TransferError.targetNotEmpty(let held) {
            #expect(held["conversations"] == 1)
            #expect(held["messages"] != nil)
            #expect(held["agents"] == nil, "the agents a gateway start records do not count")
        }
        #expect(try await target.store.conversations(ConversationQuery(viewer: Self.supervisor, status: .all)).count == 1)
        try? FileManager.default.removeItem(atPath: path)
        for t in [source, target] { await t.cleanup() }
    }

    @Test func rowsSurviveTheCanonicalEncoding() throws {
        let columns = [
            TransferColumn(name: "i", type: .integer), TransferColumn(name: "r", type: .real), TransferColumn(name: "t", type: .text),
            TransferColumn(name: "b", type: .blob), TransferColumn(name: "n", type: .real),
        ]
        let rows: [[TransferValue]] = [
            [.integer(.min), .real(0.1 + 0.2), .text("\u{0}\u{1F}\"\\/\n\r\té😀"), .blob(Data([0, 255, 10])), .null],
            [.integer(.max), .real(-1e-300), .text(""), .blob(Data()), .real(.infinity)],
            [.null, .real(1_770_000_000.123456), .null, .null, .real(-.infinity)],
        ]
        for row in rows {
            let line = TransferRowCodec.encode(row)
            #expect(!line.contains(0x0A))
            #expect(try TransferRowCodec.decode(line[...], columns: columns) == row)
        }
        #expect(throws: RowDecodeError.self) { try TransferRowCodec.decode(Array("[1,2]".utf8)[...], columns: columns) }
        #expect(throws: RowDecodeError.self) {
            try TransferRowCodec.decode(Array("[\"x\",1.5,\"t\",\"AA==\",null]".utf8)[...], columns: columns)
        }
    }
}
