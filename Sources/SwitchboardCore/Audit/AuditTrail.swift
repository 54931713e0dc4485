import Foundation
import Logging

/// Records what people and the gateway did in the audit trail, and checks the trail.
///
/// Recording never fails the action it records (the action already happened); a trail that
/// cannot be written is logged at error level, so an operator sees it. Entries hold ids, never a
/// customer's personal data.
public struct AuditTrail: Sendable {
    let store: any AuditStore
    let now: @Sendable () -> Date
    let logger: Logger

    public init(store: any AuditStore, now: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "switchboard.audit")) {
        self.store = store
        self.now = now
        self.logger = logger
    }

    /// Appends `event`; logs (never throws) when the trail cannot be written.
    public func record(_ event: AuditEvent) async {
        do {
            _ = try await append(event)
        } catch {
            logger.error("audit trail not written", metadata: ["action": "\(event.action)", "error": "\(error)"])
        }
    }

    /// Appends one entry.
    public func record(
        _ action: AuditAction, actor: String?, subject: String? = nil, source: String? = nil, details: [String: String] = [:]
    ) async {
        await record(AuditEvent(action, actor: actor, subject: subject, source: source, details: details))
    }

    /// Appends `event` and returns the sealed entry; throws when it cannot be written.
    @discardableResult
    public func append(_ event: AuditEvent) async throws -> AuditEntry {
        let at = now()
        return try await store.appendAudit { head in AuditChain.seal(event, at: at, after: head) }
    }

    public func entries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await store.auditEntries(query)
    }

    /// Checks the whole chain, oldest first, in pages; stops at the first break.
    public func verify(pageSize: Int = 1000) async throws -> AuditVerification {
        var verifier = AuditVerifier()
        var broken: AuditBreak?
        try await walk(pageSize: pageSize) { entry in
            broken = verifier.check(entry)
            return broken == nil
        }
        return AuditVerification(checked: verifier.checked, first: verifier.first, head: verifier.head, broken: broken ?? verifier.finish())
    }

    /// Reads the whole chain, oldest first, in pages, until `each` returns false.
    public func walk(pageSize: Int = 1000, _ each: (AuditEntry) throws -> Bool) async throws {
        var after: Int64 = 0
        while true {
            let page = try await store.auditChain(after: after, limit: pageSize)
            for entry in page {
                guard try each(entry) else { return }
            }
            guard let last = page.last, page.count == pageSize else { return }
            after = last.seq
        }
    }

    /// Removes the entries older than `age` and records that it did, so the chain still verifies
    /// from the first entry kept. Returns how many went.
    @discardableResult
    public func prune(olderThan age: Duration) async throws -> Int {
        let at = now()
        let before = at.addingTimeInterval(-age.seconds)
        return try await store.pruneAudit(before: before) { head, pruning in
            AuditChain.pruningRecord(pruning, before: before, at: at, after: head)
        }
    }
}
