import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// What only several gateways on one PostgreSQL can do at once, and how the engine fails when the
/// database is gone. Its behaviour as a store is the conformance suite's (`PostgresConformanceTests`).
@Suite struct PostgresConcurrencyTests {
    @Test(.integration) func twoClaimersNeverTakeTheSameDelivery() async throws {
        let t = try await StoreUnderTest.make(.postgres)
        let store = t.store
        let now = Date()
        let first = try await store.ingest((1...40).map { inbound("m\($0)", from: "c\($0)@x", at: now) }, policy: TestAgents.policy)
        for outcome in first {
            let route = try #require(
                try await store.replyRoute(conversation: outcome.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil))
            _ = try await store.appendReply(conversation: outcome.conversationID!, author: "ana", body: "hi", route: route, at: now)
        }
        // Two gateways claiming in small batches at the same time.
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for gateway in ["g1", "g2"] {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await store.claimDeliveries(now: now, limit: 3, claimer: gateway, leaseUntil: now.addingTimeInterval(60))
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.messageID)
                    }
                }
            }
            var all: [[Int64]] = []
            for try await ids in group { all.append(ids) }
            return all
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 40)
        #expect(Set(all).count == 40, "no delivery claimed twice")
        await t.cleanup()
    }

    @Test(.integration) func concurrentFirstMessagesOfOneNewCustomerMakeOneCustomerAndOneConversation() async throws {
        let t = try await StoreUnderTest.make(.postgres)
        let store = t.store
        // Four concurrent ingests (each its own pooled connection and transaction), 8 rounds.
        for round in 0..<8 {
            let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                for gateway in 0..<4 {
                    group.addTask {
                        try await store.ingest([inbound("r\(round)-g\(gateway)", from: "new\(round)@x")], policy: TestAgents.policy)[0]
                    }
                }
                var all: [IngestOutcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.allSatisfy { $0.kind == .stored })
            #expect(Set(outcomes.compactMap(\.customerID)).count == 1)
            #expect(Set(outcomes.compactMap(\.conversationID)).count == 1)
            #expect(Set(outcomes.compactMap(\.owner)).count == 1)
        }
        // The same platform retry on several gateways at once is stored once.
        let retries = try await withThrowingTaskGroup(of: IngestOutcome.Kind.self) { group in
            for _ in 0..<4 {
                group.addTask { try await store.ingest([inbound("same", from: "twice@x")], policy: TestAgents.policy)[0].kind }
            }
            var kinds: [IngestOutcome.Kind] = []
            for try await kind in group { kinds.append(kind) }
            return kinds
        }
        #expect(retries.filter { $0 == .stored }.count == 1)
        #expect(retries.filter { $0 == .duplicate }.count == 3)
        await t.cleanup()
    }

    /// A gateway that stops between a group's commit and its flush leaves those messages without their
    /// search words (migration 028: the flush writes them); the next start writes them.
    @Test(.integration) func messagesLeftUnflushedAreSearchableAfterTheNextStart() async throws {
        let database = try await PostgresTestServer.shared.createDatabase()
        let stopped = try await PostgresTestServer.shared.store(database: database)
        try await stopped.prepare(agents: TestAgents.all)
        let stored = try await stopped.ingestCommittingLater([inbound("u1", from: "uma@x", text: "the toaster sparks")], policy: TestAgents.policy)
        let toaster = SearchQuery(terms: SearchTerm.parse("toaster"), viewer: Viewer(TestAgents.marta), limit: 10)
        #expect(try await stopped.searchMessages(toaster).isEmpty, "its words wait for the flush")
        let restarted = try await PostgresTestServer.shared.store(database: database)
        try await restarted.prepare(agents: TestAgents.all)
        #expect(try await restarted.searchMessages(toaster).map(\.message) == [stored[0].message?.id])
        try await PostgresTestServer.shared.dropDatabase(database)
    }

    /// Search documents that cannot be written (here a trigger refuses them) do not hold back the
    /// flush, and with it every channel's answer: it goes without them, and the next start writes them.
    @Test(.integration) func aFlushWhoseSearchDocumentsFailStillAnswers() async throws {
        let database = try await PostgresTestServer.shared.createDatabase()
        let store = try await PostgresTestServer.shared.store(database: database)
        try await store.prepare(agents: TestAgents.all)
        try await store.write { db in
            try await db.execute(
                """
                CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$
                """)
            try await db.execute(
                "CREATE TRIGGER test_refuse BEFORE UPDATE OF document ON search_messages FOR EACH ROW EXECUTE FUNCTION test_refuse()")
        }
        let stored = try await store.ingestCommittingLater([inbound("b1", from: "bea@x", text: "the blender hums")], policy: TestAgents.policy)
        try await store.syncCommitted()
        let blender = SearchQuery(terms: SearchTerm.parse("blender"), viewer: Viewer(TestAgents.marta), limit: 10)
        #expect(try await store.searchMessages(blender).isEmpty)
        try await store.write { db in try await db.execute("DROP TRIGGER test_refuse ON search_messages") }
        let restarted = try await PostgresTestServer.shared.store(database: database)
        try await restarted.prepare(agents: TestAgents.all)
        #expect(try await restarted.searchMessages(blender).map(\.message) == [stored[0].message?.id])
        try await PostgresTestServer.shared.dropDatabase(database)
    }

    /// A group of returning customers whose conversations are live changes nobody's load, so it holds
    /// the agents' rows shared: it runs beside another such group (here, a transaction holding them
    /// shared), while a new customer's group, which routes, waits for the rows. A transaction taking
    /// them to update (a merge, an erasure, a routing change) holds off every group, so it lands
    /// wholly before or after each one.
    @Test(.integration) func returningCustomersShareTheAgentsRowsAndRoutingWaitsForThem() async throws {
        let t = try await StoreUnderTest.make(.postgres)
        let store = try #require(t.store as? PostgresStore)
        let first = try await store.ingest([inbound("a1", from: "ann@x")], policy: TestAgents.policy)
        let owner = try #require(first[0].owner)
        // A group starts holding the rows the way the last one ended: this one did not route.
        _ = try await store.ingest([inbound("a1b", from: "ann@x")], policy: TestAgents.policy)
        func stored(_ id: String) async throws -> Bool {
            try await store.read { db in try await db.value("SELECT count(*) FROM messages WHERE external_id = \(id)", as: Int.self) } == 1
        }
        func waitUntilStored(_ id: String, _ why: Comment) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while try await !stored(id) {
                try #require(ContinuousClock.now < deadline, why)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        /// Holds the agents' rows in another transaction until `release` finishes.
        func holding(_ clause: String) async -> (task: Task<Void, any Error>, release: AsyncStream<Void>.Continuation) {
            let release = AsyncStream<Void>.makeStream()
            let locked = AsyncStream<Void>.makeStream()
            let task = Task {
                try await store.write { db in
                    try await db.execute("SELECT id FROM agents ORDER BY id \(unescaped: clause)")
                    locked.continuation.yield()
                    for await _ in release.stream {}
                }
            }
            for await _ in locked.stream { break }
            return (task, release.continuation)
        }

        let shared = await holding("FOR SHARE")
        defer { shared.release.finish() }
        let returning = Task { try await store.ingest([inbound("a2", from: "ann@x")], policy: TestAgents.policy) }
        try await waitUntilStored("a2", "the returning customer's message waited for the agents' rows")
        let again = try await returning.value[0]
        let newcomer = Task { try await store.ingest([inbound("b1", from: "bob@x")], policy: TestAgents.policy) }
        #expect(again.kind == .stored && again.conversationID == first[0].conversationID && again.owner == owner)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await !stored("b1"), "the new customer waits: routing them changes an agent's load")
        shared.release.finish()
        try await shared.task.value
        let routed = try await newcomer.value[0]
        #expect(routed.kind == .stored && routed.owner != nil)
        #expect(try await store.agentLoads().values.map(\.openAssigned).reduce(0, +) == 2, "two conversations, each counted once")

        _ = try await store.ingest([inbound("a2b", from: "ann@x")], policy: TestAgents.policy)
        let exclusive = await holding("FOR UPDATE")
        defer { exclusive.release.finish() }
        let held = Task { try await store.ingest([inbound("a3", from: "ann@x")], policy: TestAgents.policy) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await !stored("a3"), "a returning customer's group waits for a routing change in progress")
        exclusive.release.finish()
        try await exclusive.task.value
        #expect(try await held.value[0].kind == .stored)
        await t.cleanup()
    }

    @Test(.integration) func migrationsAreRecordedAndTwoGatewaysPreparingAtOnceDoNotRace() async throws {
        let database = try await PostgresTestServer.shared.createDatabase()
        let a = try await PostgresTestServer.shared.store(database: database)
        let b = try await PostgresTestServer.shared.store(database: database)
        async let one: Void = a.prepare(agents: TestAgents.all)
        async let two: Void = b.prepare(agents: TestAgents.all)
        _ = try await (one, two)
        #expect(
            try await a.appliedMigrations() == [
                "001-initial", "002-attachment-contents", "003-gateway-secrets", "004-console-session-token-fingerprint",
                "005-search", "006-canned-responses", "007-mentions", "008-priority-and-sla-policy", "009-automation-queue-and-rule-firings",
                "010-audit-log", "011-second-factor", "012-erasure-and-retention",
                "013-mailbox-positions", "014-ingest-flushes", "015-uploads", "016-conversation-participants", "017-messages-thread-order",
                "018-adapter-values", "019-media-fetches", "020-contact-counts", "021-search-statement-triggers",
                "022-search-statistics", "023-search-cards-per-group", "024-customer-trigrams", "025-agents-promises", "026-search-holders",
                "027-conversation-holders-by-customer", "028-search-documents-at-flush", "029-search-functions-cached-plans",
                "030-messages-one-conversation-index", "031-search-fold-skips-ascii",
            ])
        // pg_trgm ships with this PostgreSQL, so 024 made customer search's indexes (it falls back
        // to reading every customer only where the extension cannot be created).
        let trigramIndexes = try await a.read { db in
            try await db.values("SELECT indexname::text FROM pg_indexes WHERE indexname LIKE '%_trigrams' ORDER BY indexname", as: String.self)
        }
        #expect(trigramIndexes == ["customers_name_trigrams", "identities_address_trigrams"])
        try await a.checkHealth()
        try await a.close()
        try await b.close()
        try await PostgresTestServer.shared.dropDatabase(database)
    }

    @Test func anUnreachableDatabaseIsUnavailableNotAnInternalError() async throws {
        // A port nothing listens on.
        var quiet = Logger(label: "test.unreachable")
        quiet.logLevel = .critical
        let store = try PostgresStore(url: "postgres://nobody@127.0.0.1:1/none", pool: 2, logger: quiet)
        let started = ContinuousClock.now
        do {
            _ = try await store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)
            Issue.record("ingest should have failed")
        } catch let error as StoreError {
            guard case .unavailable = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
            #expect(ServiceError(error).status == 503)
        }
        await #expect(throws: (any Error).self) { try await store.checkHealth() }
        // Two calls with a 5 s acquire deadline each; postgres-nio's own would wait about 60 s per call.
        // Generous, so a loaded CI machine cannot fail it, yet far below what a hang would take.
        #expect(ContinuousClock.now - started < .seconds(60), "503 within the acquire deadline, not after the pool gives up")
        try await store.close()
    }
}
