import Foundation
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The audit trail: one linear chain, filtered listings, pruning that keeps the chain verifiable.
extension StoreConformance {
    static let auditScenarios: [StoreScenario] = [
        StoreScenario("audit entries form one verifiable chain and list newest first with filters", on: auditChainAndListing),
        StoreScenario("audit appends made at once still form one linear chain", on: concurrentAuditAppends),
        StoreScenario("pruning the audit trail removes only old entries, records it, and the chain still verifies", on: auditPruning),
    ]

    @Sendable static func auditChainAndListing(_ store: any Store) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000.123_4))
        let trail = AuditTrail(store: store, now: { clock.now })
        #expect(try await trail.verify().head == nil)
        let first = try await trail.append(
            AuditEvent(.signIn, actor: "ana", subject: "agent:ana", source: "127.0.0.1", details: ["method": "password"]))
        #expect(first.seq == 1 && first.previousHash == AuditChain.genesis)
        #expect(first.atMilliseconds == 1_800_000_000_123)
        clock.advance(60)
        try await trail.append(
            AuditEvent(.signInFailed, actor: nil, subject: "agent:luis", source: "10.0.0.9", details: ["reason": "bad_credentials"]))
        clock.advance(60)
        try await trail.append(AuditEvent(.customerErased, actor: "marta", subject: "customer:7", details: ["reason": "asked by the customer — ñ"]))

        let chain = try await store.auditChain(after: 0, limit: 10)
        #expect(chain.map(\.seq) == [1, 2, 3])
        #expect(chain[1].previousHash == chain[0].hash && chain[2].previousHash == chain[1].hash)
        #expect(chain.allSatisfy { AuditChain.hash(of: $0) == $0.hash }, "what the store reads back hashes as it was sealed")
        #expect(chain[2].details["reason"] == "asked by the customer — ñ")
        #expect(chain[1].actor == nil && chain[0].source == "127.0.0.1")
        let verified = try await trail.verify()
        #expect(verified.isIntact && verified.checked == 3 && verified.head == chain[2].head)

        #expect(try await store.auditEntries(AuditQuery()).map(\.seq) == [3, 2, 1])
        #expect(try await store.auditEntries(AuditQuery(actor: "ana")).map(\.seq) == [1])
        #expect(try await store.auditEntries(AuditQuery(action: "sign_in_failed")).map(\.seq) == [2])
        #expect(try await store.auditEntries(AuditQuery(since: Date(timeIntervalSince1970: 1_800_000_030))).map(\.seq) == [3, 2])
        #expect(try await store.auditEntries(AuditQuery(before: 3, limit: 1)).map(\.seq) == [2])
        #expect(try await store.auditChain(after: 1, limit: 1).map(\.seq) == [2])
    }

    @Sendable static func concurrentAuditAppends(_ store: any Store) async throws {
        let trail = AuditTrail(store: store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // More appends than a PostgreSQL test store has connections (8), few enough that a loaded
            // machine still leases each within the pool's timeout.
            for i in 0..<12 {
                group.addTask { try await trail.append(AuditEvent(.signIn, actor: "agent\(i % 3)", details: ["n": String(i)])) }
            }
            try await group.waitForAll()
        }
        let verified = try await trail.verify()
        #expect(verified.isIntact)
        #expect(verified.checked == 12 && verified.head?.seq == 12)
    }

    @Sendable static func auditPruning(_ store: any Store) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let trail = AuditTrail(store: store, now: { clock.now })
        for i in 0..<5 {
            try await trail.append(AuditEvent(.signIn, actor: "ana", details: ["n": String(i)]))
            clock.advance(86400)
        }
        // Now day 5: keep what is less than 3 days old (entries of days 2, 3 and 4).
        #expect(try await trail.prune(olderThan: .seconds(3 * 86400)) == 2)
        let chain = try await store.auditChain(after: 0, limit: 100)
        #expect(chain.map(\.seq) == [3, 4, 5, 6])
        #expect(chain.last?.action == .auditPruned)
        #expect(chain.last?.details["through"] == "2" && chain.last?.details["removed"] == "2")
        let verified = try await trail.verify()
        #expect(verified.isIntact, "\(String(describing: verified.broken))")
        #expect(verified.first == 3 && verified.head?.seq == 6)
        // Nothing old enough: nothing removed, nothing recorded.
        #expect(try await trail.prune(olderThan: .seconds(3 * 86400)) == 0)
        #expect(try await store.auditChain(after: 0, limit: 100).count == 4)
        // Appending continues the chain after the pruning record.
        let next = try await trail.append(AuditEvent(.signOut, actor: "ana"))
        #expect(next.seq == 7 && next.previousHash == chain.last?.hash)
    }
}
