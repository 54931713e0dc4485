import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardPostgres
import Testing

/// The store's behaviour, the same scenarios against SQLite and PostgreSQL.
@Suite struct SharedStoreTests {
    @Test(arguments: Engine.allCases)
    func newCustomersGoToTheLeastLoadedAgentAndStayWithTheirOwner(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let store = t.store
        let first = try await store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x")], policy: TestAgents.policy)
        #expect(first.map(\.kind) == [.stored, .stored])
        #expect(Set(first.compactMap(\.owner)) == ["ana", "luis"])
        #expect(first[0].conversationID != first[1].conversationID)
        #expect(first[0].assignment?.event?.direction == .event)

        let again = try await store.ingest([inbound("3", from: "a@x", adapter: "other")], policy: TestAgents.policy)
        #expect(again[0].conversationID == first[0].conversationID)
        #expect(again[0].owner == first[0].owner)
        #expect(again[0].assignment == nil)

        let detail = try #require(try await store.conversation(first[0].conversationID!))
        #expect(detail.customer.contacts == 2)
        #expect(detail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["1", "3"])
        #expect(detail.firstResponseDue != nil)
        #expect(detail.customer.contactsByChannel == ["chat": 1, "other": 1])
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func sameExternalIDIsStoredOnceEvenWithinOneBatch(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let outcomes = try await t.store.ingest(
            [inbound("dup", from: "a@x"), inbound("dup", from: "a@x"), inbound("dup", from: "a@x", adapter: "other")],
            policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.stored, .duplicate, .stored])
        #expect(outcomes[1].messageID == outcomes[0].messageID)
        let later = try await t.store.ingest([inbound("dup", from: "a@x")], policy: TestAgents.policy)
        #expect(later[0].kind == .duplicate)
        let detail = try #require(try await t.store.conversation(outcomes[0].conversationID!))
        #expect(detail.customer.contacts == 2)
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func aNewCustomerWritingTwiceInOneBatchGetsTheFirstNameTheyGave(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        func named(_ id: String, _ name: String?) -> IngestItem {
            IngestItem(
                adapter: "chat",
                event: .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: "n@x"), customerName: name, text: "hi")),
                receivedAt: Date())
        }
        let first = try await t.store.ingest([named("1", nil), named("2", "Nora"), named("3", "Someone Else")], policy: TestAgents.policy)
        #expect(first.map(\.kind) == [.stored, .stored, .stored])
        #expect(Set(first.map(\.conversationID)).count == 1)
        let later = try await t.store.ingest([named("4", "Another Name")], policy: TestAgents.policy)
        #expect(later[0].customerID == first[0].customerID)
        let customer = try #require(try await t.store.customer(first[0].customerID!, now: Date()))
        #expect(customer.name == "Nora")
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func emailAddressesAndPhonesAreNormalizedIntoOneCustomer(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let o = try await t.store.ingest([
            inbound("1", from: "Alice@Example.com", channel: "email"),
            inbound("2", from: "alice@example.COM ", channel: "email"),
            inbound("3", from: "+34 600 123 456", channel: "phone"),
            inbound("4", from: "0034600123456", channel: "phone"),
        ], policy: TestAgents.policy)
        #expect(o[0].customerID == o[1].customerID)
        #expect(o[2].customerID == o[3].customerID)
        #expect(o[0].customerID != o[2].customerID)
        let found = try await t.store.searchCustomers("600 123", viewer: Viewer(TestAgents.marta), limit: 10)
        #expect(found.map(\.id) == [o[2].customerID!])
        let byMail = try await t.store.searchCustomers("ALICE@", viewer: Viewer(TestAgents.marta), limit: 10)
        #expect(byMail.map(\.id) == [o[0].customerID!])
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func resolvedConversationReopensWithTheSameOwner(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let first = try await t.store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        _ = try await t.store.resolve(conversation: id, author: "ana", at: Date())
        await #expect(throws: ServiceError.self) { try await t.store.resolve(conversation: id, author: "ana", at: Date()) }
        #expect(try await t.store.access(conversation: id)?.status == .resolved)
        // Two messages in one group: the first reopens, the second finds it open (one reopening, not two).
        let back = try await t.store.ingest([inbound("2", from: "a@x"), inbound("3", from: "a@x")], policy: TestAgents.policy)
        #expect(back.map(\.conversationID) == [id, id])
        #expect(back[0].owner == first.owner && back[1].owner == first.owner)
        #expect(back[0].assignment?.reason.contains("reopened") == true)
        #expect(back[1].assignment == nil)
        #expect(try await t.store.access(conversation: id)?.status == .open)
        let detail = try #require(try await t.store.conversation(id))
        #expect(detail.messages.filter { $0.direction == .event && $0.body.contains("reopened") }.count == 1)
        #expect(detail.customer.contacts == 3)
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func replyGoesThroughTheOutboxAndRetriesThenFails(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let store = t.store
        let first = try await store.ingest([inbound("ext-1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        #expect(route.adapter == "chat")
        #expect(route.address == "a@x")
        #expect(route.inReplyToExternalID == "ext-1")
        let now = Date()
        let reply = try await store.appendReply(conversation: id, author: "ana", body: "on it", route: route, at: now)
        #expect(reply.delivery?.state == .queued)
        #expect(try await store.conversation(id)?.firstResponseDue == nil)

        var claimed = try await store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60))
        #expect(claimed.map(\.messageID) == [reply.id])
        #expect(claimed.first?.inReplyToExternalID == "ext-1")
        #expect(try await store.claimDeliveries(now: now, limit: 10, claimer: "g2", leaseUntil: now.addingTimeInterval(60)).isEmpty)

        let retryAt = now.addingTimeInterval(5)
        let retried = try await store.completeDelivery(message: reply.id, result: .retry(error: "HTTP 500", retryAt: retryAt), at: now)
        #expect(retried?.delivery == DeliveryInfo(state: .queued, attempts: 1, error: "HTTP 500"))
        #expect(try await store.claimDeliveries(now: now, limit: 10, claimer: "g1", leaseUntil: now.addingTimeInterval(60)).isEmpty)
        #expect(try await store.nextDeliveryDue().map { abs($0.timeIntervalSince(retryAt)) < 0.001 } == true)

        claimed = try await store.claimDeliveries(now: retryAt, limit: 10, claimer: "g1", leaseUntil: retryAt.addingTimeInterval(60))
        #expect(claimed.first?.attempts == 1)
        let failed = try await store.completeDelivery(message: reply.id, result: .failed(error: "HTTP 500 again"), at: retryAt)
        #expect(failed?.delivery == DeliveryInfo(state: .failed, attempts: 2, error: "HTTP 500 again"))
        #expect(try await store.nextDeliveryDue() == nil)

        let requeued = try await store.retryDelivery(message: reply.id, at: retryAt)
        #expect(requeued?.delivery == DeliveryInfo(state: .queued, attempts: 0, error: nil))
        claimed = try await store.claimDeliveries(now: retryAt, limit: 10, claimer: "g1", leaseUntil: retryAt.addingTimeInterval(60))
        #expect(claimed.count == 1)
        let delivered = try await store.completeDelivery(
            message: reply.id, result: .delivered(DeliveryReceipt(externalID: "platform-9", state: .delivered)), at: retryAt)
        #expect(delivered?.delivery?.state == .delivered)
        #expect(delivered?.externalID == "platform-9")
        // A second completion of the same claim (e.g. after the lease ran out) changes nothing.
        #expect(try await store.completeDelivery(message: reply.id, result: .failed(error: "late"), at: retryAt) == nil)
        #expect(try await store.retryDelivery(message: reply.id, at: retryAt) == nil)
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func anExpiredLeaseIsClaimedAgainByAnotherGateway(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let first = try await t.store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await t.store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let now = Date()
        let reply = try await t.store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: now)
        #expect(try await t.store.claimDeliveries(now: now, limit: 5, claimer: "dead", leaseUntil: now.addingTimeInterval(30)).count == 1)
        #expect(try await t.store.claimDeliveries(now: now.addingTimeInterval(10), limit: 5, claimer: "g2", leaseUntil: now.addingTimeInterval(40)).isEmpty)
        let again = try await t.store.claimDeliveries(now: now.addingTimeInterval(31), limit: 5, claimer: "g2", leaseUntil: now.addingTimeInterval(90))
        #expect(again.map(\.messageID) == [reply.id])
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func platformStatusReportsMoveDeliveryForwardOnly(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let first = try await t.store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        let route = try #require(try await t.store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await t.store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: Date())
        _ = try await t.store.claimDeliveries(now: Date(), limit: 1, claimer: "g", leaseUntil: Date().addingTimeInterval(60))
        _ = try await t.store.completeDelivery(message: reply.id, result: .delivered(DeliveryReceipt(externalID: "p1", state: .sent)), at: Date())
        func report(_ state: DeliveryStatusUpdate.State) -> IngestItem {
            IngestItem(adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "p1", state: state)), receivedAt: Date())
        }
        let outcomes = try await t.store.ingest([report(.delivered), report(.sent), report(.read)], policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.deliveryUpdated, .deliveryUpdated, .deliveryUpdated])
        #expect(outcomes.map { $0.message?.delivery?.state } == [.delivered, .delivered, .delivered])
        let unknown = try await t.store.ingest([IngestItem(
            adapter: "chat", event: .deliveryStatus(DeliveryStatusUpdate(externalID: "nope", state: .read)), receivedAt: Date())],
            policy: TestAgents.policy)
        #expect(unknown[0].kind == .ignored)
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func agentsSeeOnlyTheirConversationsAndSupervisorsAll(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        _ = try await t.store.ingest([inbound("1", from: "a@x"), inbound("2", from: "b@x"), inbound("3", from: "c@x")], policy: TestAgents.policy)
        let ana = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.ana)))
        let luis = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.luis)))
        let marta = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta)))
        #expect(ana.count + luis.count == 3)
        #expect(Set(ana.map(\.id)).isDisjoint(with: luis.map(\.id)))
        #expect(marta.count == 3)
        #expect(try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), status: .resolved)).isEmpty)
        let report = try await t.store.reportSummary(since: Date().addingTimeInterval(-60), now: Date())
        #expect(report.started == 3)
        #expect(report.conversations["open"] == 3)
        #expect(try await t.store.exportConversations(since: Date(timeIntervalSince1970: 0), limit: 10).count == 3)
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func anAvailableOwnerGetsBackWhatOthersCoveredAndTheQueueDrainsOldestFirst(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let store = t.store
        let first = try await store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let owner = try #require(first.owner)
        let other = owner == "ana" ? "luis" : "ana"
        try await store.setAgentStatus(owner, .away)
        let covered = try await store.ingest([inbound("2", from: "a@x")], policy: TestAgents.policy)[0]
        #expect(covered.owner == owner)
        #expect(covered.assignee == other)

        try await store.setAgentStatus(other, .away)
        let waiting = try await store.ingest([inbound("3", from: "new1@x"), inbound("4", from: "new2@x")], policy: TestAgents.policy)
        #expect(waiting.allSatisfy { $0.owner == nil && $0.assignee == nil })

        try await store.setAgentStatus(owner, .available)
        let changes = try await store.takeWork(agent: owner, teams: ["support"], returnToOwner: true, capacity: 2, at: Date())
        #expect(changes.map(\.conversation.id) == [first.conversationID!, waiting[0].conversationID!])
        #expect(changes[0].previousAssignee == other)
        #expect(try await store.access(conversation: waiting[1].conversationID!)?.assignee == nil, "capacity 2 reached")
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func mergeMakesOneThreadAndUnmergeRestoresBoth(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let store = t.store
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let email = try await store.ingest([mail("e1", from: "eva@example.com", at: base)], policy: TestAgents.policy)[0]
        let phone = try await store.ingest(
            [mail("w1", from: "+34600123456", channel: "phone", adapter: "whatsapp", at: base.addingTimeInterval(60))],
            policy: TestAgents.policy)[0]
        #expect(email.owner != phone.owner)
        _ = try await store.linkIdentity(
            customer: phone.customerID!, identity: ChannelIdentity(channel: "email", address: "eva@work.example"), by: "ana", at: base)
        await #expect(throws: ServiceError.self) {
            try await store.linkIdentity(
                customer: phone.customerID!, identity: ChannelIdentity(channel: "email", address: "eva@example.com"), by: "ana", at: base)
        }

        let merged = try await store.merge(survivor: phone.customerID!, absorbed: email.customerID!, by: "ana", at: base.addingTimeInterval(120), references: testReferences)
        #expect(merged.absorbed.status == .merged)
        #expect(merged.survivor.owner == email.owner)
        let thread = try #require(try await store.conversation(phone.conversationID!))
        #expect(thread.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["e1", "w1"])
        #expect(thread.customer.contacts == 2)

        let later = try await store.ingest([mail("e2", from: "EVA@example.com", at: base.addingTimeInterval(180))], policy: TestAgents.policy)[0]
        #expect(later.conversationID == phone.conversationID)

        _ = try await store.unmerge(customer: phone.customerID!, by: "marta", at: base.addingTimeInterval(240), references: testReferences)
        let restoredEmail = try #require(try await store.conversation(email.conversationID!))
        let restoredPhone = try #require(try await store.conversation(phone.conversationID!))
        #expect(restoredEmail.status == .open)
        #expect(restoredEmail.owner == email.owner)
        #expect(restoredEmail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["e1", "e2"])
        #expect(restoredPhone.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["w1"])
        #expect(restoredPhone.owner == phone.owner)
        #expect(restoredEmail.customer.contacts == 2)
        #expect(try await store.agentLoads().values.map(\.openAssigned).reduce(0, +) == 2)
        await #expect(throws: ServiceError.self) { try await store.unmerge(customer: phone.customerID!, by: "marta", at: Date(), references: testReferences) }
        await t.cleanup()
    }

    @Test(arguments: Engine.allCases)
    func promisesComeDueAndAreMarkedOnce(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await t.store.ingest([inbound("1", from: "a@x", at: base)], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        #expect(try await t.store.promisesDue(now: base.addingTimeInterval(60), staleAfter: nil, limit: 10).isEmpty)
        let warn = try await t.store.promisesDue(now: base.addingTimeInterval(3000), staleAfter: nil, limit: 10)
        #expect(warn.map(\.kind) == [.warning])
        _ = try await t.store.markPromise(conversation: id, .warning, event: nil, at: base.addingTimeInterval(3000))
        let breach = try await t.store.promisesDue(now: base.addingTimeInterval(3700), staleAfter: nil, limit: 10)
        #expect(breach.map(\.kind) == [.breach])
        let event = try await t.store.markPromise(conversation: id, .breach, event: "overdue", at: base.addingTimeInterval(3700))
        #expect(event?.body == "overdue")
        #expect(try await t.store.promisesDue(now: base.addingTimeInterval(3700), staleAfter: nil, limit: 10).isEmpty)
        #expect(try await t.store.conversation(id)?.escalated == true)
        _ = try await t.store.closeEscalation(conversation: id, by: "marta", note: "handled", at: base.addingTimeInterval(3800))
        #expect(try await t.store.conversation(id)?.escalated == false)
        _ = try await t.store.setPending(conversation: id, true, by: "ana", at: base.addingTimeInterval(3900))
        #expect(try await t.store.access(conversation: id)?.status == .pending)
        _ = try await t.store.setPending(conversation: id, false, by: "ana", at: base.addingTimeInterval(4000))
        #expect(try await t.store.addTags(conversation: id, tags: ["b", "a", "a"], by: "ana", at: base) == ["a", "b"])
        let suggestion = try await t.store.addSuggestion(author: "ana", body: "more hands", conversation: id, at: base)
        #expect(try await t.store.suggestions(limit: 5) == [suggestion])
        await t.cleanup()
    }
}

/// What only several gateways on one PostgreSQL can do at once.
@Suite struct PostgresConcurrencyTests {
    @Test func twoClaimersNeverTakeTheSameDelivery() async throws {
        let t = try await StoreUnderTest.make(.postgres)
        let store = t.store
        let now = Date()
        let first = try await store.ingest((1...40).map { inbound("m\($0)", from: "c\($0)@x", at: now) }, policy: TestAgents.policy)
        for outcome in first {
            let route = try #require(try await store.replyRoute(conversation: outcome.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil))
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

    @Test func concurrentFirstMessagesOfOneNewCustomerMakeOneCustomerAndOneConversation() async throws {
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

    @Test func migrationsAreRecordedAndTwoGatewaysPreparingAtOnceDoNotRace() async throws {
        let database = try await PostgresTestServer.shared.createDatabase()
        let a = try await PostgresTestServer.shared.store(database: database)
        let b = try await PostgresTestServer.shared.store(database: database)
        async let one: Void = a.prepare(agents: TestAgents.all)
        async let two: Void = b.prepare(agents: TestAgents.all)
        _ = try await (one, two)
        #expect(try await a.appliedMigrations() == ["001-initial", "002-attachment-contents", "003-gateway-secrets", "004-console-session-token-fingerprint"])
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
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
            #expect(ServiceError(error).status == 503)
        }
        await #expect(throws: (any Error).self) { try await store.checkHealth() }
        // Two calls with a 5 s acquire deadline each; postgres-nio's own would wait about 60 s per call.
        // Generous, so a loaded CI machine cannot fail it, yet far below what a hang would take.
        #expect(ContinuousClock.now - started < .seconds(60), "503 within the acquire deadline, not after the pool gives up")
        try await store.close()
    }
}

@Suite struct SharedSessionStoreTests {
    @Test(arguments: Engine.allCases)
    func passwordsAndSessionsRoundTrip(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        let sessions = t.store
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await sessions.setPassword(agent: "ana", hash: [1, 2, 3], salt: [9, 8], iterations: 1000, at: now)
        let stored = try #require(try await sessions.password(agent: "ana"))
        #expect(stored.hash == [1, 2, 3] && stored.salt == [9, 8] && stored.iterations == 1000)
        try await sessions.createSession(tokenHash: [7, 7], agent: "ana", csrfToken: "csrf", at: now)
        #expect(try await sessions.session(tokenHash: [7, 7])?.agentID == "ana")
        #expect(try await sessions.session(tokenHash: [7, 7])?.tokenFingerprint == nil)
        try await sessions.deleteExpiredSessions(idleBefore: now.addingTimeInterval(1), createdBefore: now)
        #expect(try await sessions.session(tokenHash: [7, 7]) == nil)
        // A session opened with a token keeps its fingerprint; signing an agent out ends only theirs.
        try await sessions.createSession(tokenHash: [1], agent: "ana", csrfToken: "c1", tokenFingerprint: [4, 2], at: now)
        try await sessions.createSession(tokenHash: [2], agent: "ana", csrfToken: "c2", at: now)
        try await sessions.createSession(tokenHash: [3], agent: "luis", csrfToken: "c3", at: now)
        #expect(try await sessions.session(tokenHash: [1])?.tokenFingerprint == [4, 2])
        #expect(try await sessions.deleteSessions(agent: "ana") == 2)
        #expect(try await sessions.session(tokenHash: [1]) == nil)
        #expect(try await sessions.session(tokenHash: [2]) == nil)
        #expect(try await sessions.session(tokenHash: [3])?.agentID == "luis")
        let previews = t.store
        let first = try await t.store.ingest([inbound("1", from: "a@x", text: "where is my order")], policy: TestAgents.policy)[0]
        let preview = try await previews.inboxPreviews(conversations: [first.conversationID!])
        #expect(preview[first.conversationID!]?.body == "where is my order")
        #expect(preview[first.conversationID!]?.waitingSince != nil)
        await t.cleanup()
    }
}

/// Acknowledgements queued inside a group (their message rows, written with the group's others,
/// exist before the outbox row that refers to them), on both engines.
@Suite struct SharedAcknowledgementTests {
    @Test(arguments: Engine.allCases)
    func newCustomersInOneGroupEachGetOneAcknowledgementInTheirThread(_ engine: Engine) async throws {
        let t = try await StoreUnderTest.make(engine)
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, quietPeriod: .seconds(600), template: { _, _ in "Hi {customer}, ref {reference}." },
            agent: { _ in ("Agent", TimeZone.gmt) })
        let now = Date()
        let outcomes = try await t.store.ingest(
            [inbound("a1", from: "a@x", at: now), inbound("b1", from: "b@x", at: now), inbound("a2", from: "a@x", at: now)],
            policy: policy)
        #expect(outcomes.map(\.queuedAcknowledgement) == [true, true, false])
        let claimed = try await t.store.claimDeliveries(now: now.addingTimeInterval(1), limit: 10, claimer: "t", leaseUntil: now.addingTimeInterval(60))
        #expect(Set(claimed.map(\.inReplyToExternalID)) == ["a1", "b1"])
        // The thread reads in the order things happened: message, assignment, acknowledgement, next message.
        let thread = try #require(try await t.store.conversation(outcomes[0].conversationID!)).messages
        #expect(thread.map(\.direction) == [.inbound, .event, .outbound, .inbound])
        #expect(thread[2].inReplyTo == thread[0].id && thread[2].body.contains(testReferences.format(outcomes[0].conversationID!)))
        #expect(thread[3].id == outcomes[2].message?.id)
        await t.cleanup()
    }
}
