import Foundation

extension MemoryStore {
    /// What the trust features keep: the audit trail, and agents' second factors.
    struct TrustTables {
        var audit: [AuditEntry] = []
        var totp: [String: StoredTOTP] = [:]
        /// Recovery code hashes by agent, with when each was used.
        var recoveryCodes: [String: [String: Date]] = [:]
        var unusedCodes: [String: Set<String>] = [:]

        mutating func append(_ seal: (AuditHead?) -> AuditEntry) -> AuditEntry {
            let entry = seal(audit.last?.head)
            audit.append(entry)
            return entry
        }
    }

    public func appendAudit(_ seal: @escaping @Sendable (AuditHead?) -> AuditEntry) async throws -> AuditEntry {
        trust.withLock { $0.append(seal) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        trust.withLock { t in
            Array(
                t.audit.reversed().lazy.filter { entry in
                    (query.before.map { entry.seq < $0 } ?? true) && (query.since.map { entry.at >= $0 } ?? true)
                        && (query.actor.map { entry.actor == $0 } ?? true) && (query.action.map { entry.action.code == $0 } ?? true)
                }.prefix(query.limit))
        }
    }

    public func auditChain(after seq: Int64, limit: Int) async throws -> [AuditEntry] {
        trust.withLock { t in Array(t.audit.lazy.filter { $0.seq > seq }.prefix(limit)) }
    }

    public func pruneAudit(before: Date, _ seal: @escaping @Sendable (AuditHead, AuditPruning) -> AuditEntry) async throws -> Int {
        trust.withLock { t in
            // Only ever a prefix of the chain: up to the first entry that is not old (clocks of
            // several gateways may disagree a little, so `at` is not strictly ordered).
            let keep = t.audit.firstIndex { $0.at >= before } ?? t.audit.count
            let old = t.audit[..<keep]
            guard let last = old.last, let head = t.audit.last?.head else { return 0 }
            t.audit.removeFirst(keep)
            _ = t.append { _ in seal(head, AuditPruning(removed: old.count, through: last.head)) }
            return old.count
        }
    }

    /// Test support: replaces the entry at `seq` as an attacker with database access would.
    public func tamperWithAudit(seq: Int64, _ change: (inout AuditEntry) -> Void) {
        trust.withLock { t in
            guard let index = t.audit.firstIndex(where: { $0.seq == seq }) else { return }
            change(&t.audit[index])
        }
    }
}
