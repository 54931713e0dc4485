import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs the `schedule:` rules on the leader: each rule every period, over the open and pending
/// conversations in batches (so a large backlog never holds the database for long), acting on a
/// conversation at most once per period — and, for the same rule, not again until something new is
/// written in its thread (a rule escalating conversations that waited too long escalates each once).
public struct ScheduledRules: Service {
    private let engine: RuleEngine
    private let store: any RuleStore
    private let leadership: any Leadership
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// Conversations read per batch.
    private let batch: Int
    private let runs = RunClock()

    public init(
        engine: RuleEngine, store: any RuleStore, leadership: any Leadership = SoleLeader(), batch: Int = 200,
        now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.engine = engine
        self.store = store
        self.leadership = leadership
        self.batch = batch
        self.now = now
        self.logger = logger
    }

    var scheduled: [(rule: Rule, every: Duration)] {
        engine.rules.compactMap { rule in
            if case .schedule(let every) = rule.trigger { (rule, every) } else { nil }
        }
    }

    public func run() async throws {
        guard !scheduled.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if leadership.isLeader {
                    do { try await tick() } catch { logger.warning("scheduled rules failed", metadata: ["error": "\(error)"]) }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs every scheduled rule whose period has come (a rule runs at once the first time).
    public func tick() async throws {
        for (rule, every) in scheduled {
            let at = now()
            let period = Int64((at.timeIntervalSince1970 / max(1, every.seconds)).rounded(.down))
            guard runs.claim(rule.id, period: period) else { continue }
            try await runPeriod(rule, period: period)
        }
    }

    /// One period of one rule over every open or pending conversation, in batches.
    func runPeriod(_ rule: Rule, period: Int64) async throws {
        var after: Int64 = 0
        var acted = 0
        while !Task.isCancelled, leadership.isLeader {
            let ids = try await store.activeConversations(after: after, limit: batch)
            for id in ids {
                // Once per period, and not again for the same quiet spell of the conversation.
                let outcome = try await engine.fire(
                    rule, conversation: id, message: nil, trigger: rule.trigger.description, key: "p:\(period)", oncePerQuietSpell: true)
                if case .applied = outcome { acted += 1 }
            }
            guard let last = ids.last, ids.count == batch else { break }
            after = last
            await Task.yield()
        }
        if acted > 0 { logger.info("scheduled rule ran", metadata: ["rule": "\(rule.id)", "conversations": "\(acted)"]) }
    }
}

/// The last period each scheduled rule ran in (kept by this process; the store keeps each
/// conversation's firings, so a new leader running a period again changes nothing twice).
private final class RunClock: Sendable {
    private let last = Mutex<[String: Int64]>([:])

    func claim(_ rule: String, period: Int64) -> Bool {
        last.withLock { last in
            guard last[rule] != period else { return false }
            last[rule] = period
            return true
        }
    }
}
