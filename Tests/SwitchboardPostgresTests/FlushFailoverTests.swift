import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Synchronization
import Testing

@testable import SwitchboardPostgres

/// A group committed with `synchronous_commit = off` on one primary is never acknowledged by a flush
/// on another: when the pool followed the primary elsewhere in between (a failover), the flush refuses
/// those groups and their callers get a 503, so the channels retry.
@Suite(.integration) struct FlushFailoverTests {
    /// The PostgreSQL store, except that right after the first group commits the primary "dies" and
    /// the pool moves to the other host — before the committer's flush, which is the window a real
    /// failover can fall in. What `syncCommitted()` threw is kept.
    final class FailoverAfterFirstCommit: InboundStore {
        let store: PostgresStore
        let failover: @Sendable () async throws -> Void
        private let failedOver = Atomic<Bool>(false)
        let flushErrors = Mutex<[any Error]>([])

        init(store: PostgresStore, failover: @escaping @Sendable () async throws -> Void) {
            self.store = store
            self.failover = failover
        }

        func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
            try await store.ingest(items, policy: policy)
        }

        func ingestCommittingLater(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
            let outcomes = try await store.ingestCommittingLater(items, policy: policy)
            if !failedOver.exchange(true, ordering: .relaxed) { try await failover() }
            return outcomes
        }

        func syncCommitted() async throws {
            do {
                try await store.syncCommitted()
            } catch {
                flushErrors.withLock { $0.append(error) }
                throw error
            }
        }
    }

    /// The store reaches the database through a relay listed first in a multi-host URL and directly
    /// second; killing the relay is, to the store's watcher, the primary dying: it moves to the
    /// second host (one more primary generation), as after a promotion.
    @Test func aGroupCommittedBeforeTheFailoverIsRefusedWith503AndItsRetryIsStored() async throws {
        let helper = try await PostgresTestServer.shared.server()
        let port = helper.int("port")
        let database = try await PostgresTestServer.shared.createDatabase()
        let relay = try await SupportProcess.start("tcp_relay.py", ["127.0.0.1", "\(port)"])
        let store = try PostgresStore(
            url: "postgres://\(helper.string("user"))@127.0.0.1:\(relay.int("port")),127.0.0.1:\(port)/\(database)"
                + "?target_session_attrs=read-write",
            pool: 4)
        do {
            try await store.prepare(agents: TestAgents.all)
            #expect(store.primaryGeneration == 0)
            let failing = FailoverAfterFirstCommit(store: store) {
                await relay.stop()
                let deadline = ContinuousClock.now + .seconds(15)
                while store.primaryGeneration == 0 {
                    try #require(ContinuousClock.now < deadline, "the pool never moved to the second host")
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let committer = GroupCommitter(store: failing, policy: TestAgents.policy, logger: Logger(label: "test"))
            let services = ServiceGroup(services: [committer], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await services.run() }
                defer { tasks.cancelAll() }

                // The caller (a webhook's handler) is refused with a 503, never a 2xx.
                await #expect {
                    _ = try await committer.submit([inbound("wa-1", from: "ann@x")])
                } throws: { error in
                    (error as? ServiceError)?.status == 503
                }
                // Because the flush refused it: the engine said unavailable, for the primary moved.
                let errors = failing.flushErrors.withLock { $0 }
                #expect(errors.count == 1)
                if case .unavailable(let why)? = errors.first as? StoreError {
                    #expect(why.contains("primary changed"))
                } else {
                    Issue.record("the flush threw \(errors), not StoreError.unavailable")
                }
                #expect(store.primaryGeneration == 1)

                // The channel's retry, on the new primary, is acknowledged: the refusal held back
                // only the groups committed before the move, not the committer.
                let retried = try await committer.submit([inbound("wa-1", from: "ann@x")])
                #expect(retried.count == 1 && [.stored, .duplicate].contains(retried[0].kind))
                let next = try await committer.submit([inbound("wa-2", from: "bob@x")])
                #expect(next[0].kind == .stored)
                #expect(failing.flushErrors.withLock { $0.count } == 1)

                await services.triggerGracefulShutdown()
            }
        } catch {
            await relay.stop()
            try? await store.close()
            try? await PostgresTestServer.shared.dropDatabase(database)
            throw error
        }
        await relay.stop()
        try await store.close()
        try await PostgresTestServer.shared.dropDatabase(database)
    }
}
