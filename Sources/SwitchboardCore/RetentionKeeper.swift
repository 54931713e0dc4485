import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// The leader's housekeeping of what is kept: removes the content of messages and attachments
/// past their retention (`retention:`, and each adapter's own) and prunes the audit trail past its
/// own (`audit.retention`). Runs only on the leader, so several gateways on one database act once.
///
/// The work is done in small batches, each its own short transaction, with a pause between them:
/// ingestion (which needs the same writer on SQLite, and the agents' rows on PostgreSQL) waits at
/// most one batch. Time comes from `now`, so tests drive it with their own clock through ``tick()``.
public struct RetentionKeeper: Service {
    /// What one pass removed.
    public struct Pass: Sendable, Equatable {
        public var messages = 0
        public var attachments = 0
        public var contents = 0
        public var auditEntries = 0

        public init() {}
    }

    private let store: any CustomerDataStore
    private let policy: RetentionPolicy
    private let audit: AuditTrail?
    private let auditRetention: Duration?
    private let leadership: any Leadership
    private let interval: Duration
    private let batchSize: Int
    private let pause: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger

    public init(
        store: any CustomerDataStore, policy: RetentionPolicy, audit: AuditTrail?, auditRetention: Duration?,
        leadership: any Leadership = SoleLeader(), interval: Duration = .seconds(3600), batchSize: Int = 200,
        pause: Duration = .milliseconds(50), now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.store = store
        self.policy = policy
        self.audit = audit
        self.auditRetention = auditRetention
        self.leadership = leadership
        self.interval = interval
        self.batchSize = batchSize
        self.pause = pause
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        guard !policy.isEmpty || auditRetention != nil else { return await waitForShutdown() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                // A gateway that becomes the leader starts its pass within seconds, not an interval later.
                guard leadership.isLeader else {
                    try? await Task.sleep(for: min(interval, .seconds(5)))
                    continue
                }
                do { _ = try await tick() } catch { logger.warning("retention pass failed", metadata: ["error": "\(error)"]) }
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func waitForShutdown() async {
        try? await gracefulShutdown()
    }

    /// One pass: everything past its retention now.
    @discardableResult
    public func tick() async throws -> Pass {
        var pass = Pass()
        let at = now()
        if !policy.isEmpty {
            try await removeMessages(at: at, into: &pass)
            try await removeAttachments(at: at, into: &pass)
        }
        if let auditRetention, let audit {
            pass.auditEntries = try await audit.prune(olderThan: auditRetention)
        }
        Counter(label: "switchboard_retention_erased_total", dimensions: [("kind", "messages")]).increment(by: pass.messages)
        Counter(label: "switchboard_retention_erased_total", dimensions: [("kind", "attachments")]).increment(by: pass.attachments)
        Counter(label: "switchboard_retention_erased_total", dimensions: [("kind", "audit_entries")]).increment(by: pass.auditEntries)
        if pass.messages + pass.attachments > 0 {
            await store.compactAfterRemoval()
            logger.notice("retention applied", metadata: ["messages": "\(pass.messages)", "attachments": "\(pass.attachments)"])
            await audit?.record(
                .retentionApplied, actor: AuditActor.system,
                details: [
                    "messages": String(pass.messages), "attachments": String(pass.attachments), "contents_deleted": String(pass.contents),
                ])
        }
        return pass
    }

    /// The rule for messages of `adapter` (nil: notes and events).
    func rule(_ adapter: String?) -> RetentionRule {
        adapter.flatMap { policy.perAdapter[$0] }.map { $0.over(policy.base) } ?? policy.base
    }

    private func removeMessages(at: Date, into pass: inout Pass) async throws {
        let adapters: [String?] = try await store.retentionAdapters().map { $0 } + [nil]
        for adapter in adapters {
            guard let keep = rule(adapter).messages else { continue }
            let cutoff = at.addingTimeInterval(-keep.seconds)
            let onlyResolved = policy.onlyResolved
            try await batches(RetentionQuery(kind: .messages, adapter: adapter, before: cutoff, after: nil, limit: batchSize), at: at, into: &pass) {
                RetentionPlanner.messages($0, before: cutoff, onlyResolved: onlyResolved)
            }
        }
    }

    private func removeAttachments(at: Date, into pass: inout Pass) async throws {
        let rules = [policy.base] + policy.perAdapter.values.map { $0.over(policy.base) }
        guard let shortest = rules.compactMap(\.attachments).min() else { return }
        let latestCutoff = at.addingTimeInterval(-shortest.seconds)
        let base = policy.base
        let perAdapter = policy.perAdapter
        let onlyResolved = policy.onlyResolved
        let cutoff: @Sendable (String?) -> Date? = { adapter in
            let rule = adapter.flatMap { perAdapter[$0] }.map { $0.over(base) } ?? base
            return rule.attachments.map { at.addingTimeInterval(-$0.seconds) }
        }
        try await batches(RetentionQuery(kind: .attachments, adapter: nil, before: latestCutoff, after: nil, limit: batchSize), at: at, into: &pass) {
            RetentionPlanner.attachments($0, cutoff: cutoff, onlyResolved: onlyResolved)
        }
    }

    /// Runs batches from the oldest message on until a batch comes back short.
    private func batches(
        _ first: RetentionQuery, at: Date, into pass: inout Pass, _ plan: @escaping @Sendable ([RetentionCandidate]) -> RetentionPlan
    ) async throws {
        var query = first
        while !Task.isCancelled {
            let batch = try await store.applyRetention(query, at: at, plan)
            if query.kind == .messages { pass.messages += batch.redacted } else { pass.attachments += batch.redacted }
            pass.contents += batch.deletedContents
            guard batch.examined == query.limit, let cursor = batch.cursor else { return }
            query.after = cursor
            if pause > .zero { try await Task.sleep(for: pause) }
        }
    }
}
