import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Keeps the promises made to customers: warns the assignee at 80 % of the first-response time,
/// flags and escalates a breach to the assignee and the team's supervisors, and moves a
/// conversation nobody answered within `reassign_after` to another available agent. Time comes
/// from `now`, so tests drive it with their own clock through ``tick()``.
public struct PromiseKeeper: Service {
    private let store: any PromiseStore & ConversationStore & AgentStore & ReportStore
    private let policy: AssignmentPolicy
    private let events: EventBus
    private let now: @Sendable () -> Date
    private let interval: Duration
    private let logger: Logger
    private let breaches = Counter(label: "switchboard_sla_breaches_total")
    /// Before any connection is seen, absence is counted from the keeper's start.
    private let startedAt: Date
    private let reassignments = Counter(label: "switchboard_reassignments_total", dimensions: [("reason", "no_reply")])
    private let figures = FiguresClock()
    /// Only the leader keeps promises, so several gateways on one database act once.
    private let leadership: any Leadership
    /// Breaches escalate, stale conversations move and absent agents are set away: recorded here.
    private let audit: AuditTrail?

    public init(
        store: any PromiseStore & ConversationStore & AgentStore & ReportStore, policy: AssignmentPolicy, events: EventBus,
        interval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date = Date.init, leadership: any Leadership = SoleLeader(), logger: Logger,
        audit: AuditTrail? = nil
    ) {
        self.audit = audit
        self.leadership = leadership
        self.store = store
        self.policy = policy
        self.events = events
        self.interval = interval
        self.now = now
        self.logger = logger
        self.startedAt = now()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { if leadership.isLeader { try await tick() } } catch { logger.warning("promise check failed", metadata: ["error": "\(error)"]) }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Publishes the team's figures as gauges (`/metrics`), at most every 15 s: they come from the
    /// same query as the supervisors' report, so dashboards and the report agree.
    private func recordFigures(at: Date) async throws {
        let due = figures.last.withLock { last -> Bool in
            guard last.map({ at.timeIntervalSince($0) >= 15 }) ?? true else { return false }
            last = at
            return true
        }
        guard due else { return }
        let report = try await store.reportSummary(since: at.addingTimeInterval(-86400), now: at)
        for status in ["open", "pending", "resolved", "merged"] {
            Gauge(label: "switchboard_conversations", dimensions: [("status", status)]).record(report.conversations[status] ?? 0)
        }
        Gauge(label: "switchboard_conversations_escalated").record(report.escalated)
        Gauge(label: "switchboard_conversations_breached").record(report.breached)
        Gauge(label: "switchboard_conversations_unassigned").record(report.unassigned)
        Gauge(label: "switchboard_conversations_awaiting_answer").record(report.awaitingAnswer)
        if let median = report.firstResponseMedianSeconds {
            Gauge(label: "switchboard_first_response_median_seconds").record(median)
        }
    }

    /// One pass over everything due now.
    public func tick() async throws {
        let at = now()
        try await recordFigures(at: at)
        if let autoAway = policy.rules.autoAway { try await markAbsentAgentsAway(after: autoAway, at: at) }
        for due in try await store.promisesDue(now: at, staleAfter: policy.rules.reassignAfter, limit: 500) {
            switch due.kind {
            case .warning:
                _ = try await store.markPromise(conversation: due.conversation.id, .warning, event: nil, at: at)
                events.publish(.slaWarning(SLAPayload(due)), conversation: due.conversation)
            case .breach, .resolution:
                let what = due.kind == .resolution ? "Resolution" : "Response"
                let text =
                    "\(what) overdue (due \(due.due.map { ISO8601DateFormatter().string(from: $0) } ?? "?")): escalated to the team's supervisors"
                let record = try await store.markPromise(conversation: due.conversation.id, due.kind, event: text, at: at)
                breaches.increment()
                await audit?.record(
                    .conversationEscalated, actor: AuditActor.system, subject: "conversation:\(due.conversation.id)",
                    details: [
                        "reason": due.kind == .resolution ? "resolution_overdue" : "response_overdue"
                    ])
                let supervisors = policy.directory.supervisors(of: due.conversation.team).map(\.id)
                events.publish(.slaBreached(SLAPayload(due)), conversation: due.conversation, alsoNotify: supervisors)
                if let record { events.publish(.messageCreated(record), conversation: due.conversation) }
            case .stale:
                try await moveStale(due, at: at)
            }
        }
    }

    private func moveStale(_ due: PromiseDue, at: Date) async throws {
        let current = due.conversation.assignee
        let loads = try await currentLoads()
        guard let next = policy.leastLoaded(team: due.conversation.team, loads: loads, at: at, excluding: Set([current].compactMap { $0 })) else {
            // Nobody else can take it now; look again after another full wait rather than every tick.
            _ = try await store.markPromise(conversation: due.conversation.id, .stale, event: nil, at: at)
            return
        }
        let waited = policy.rules.reassignAfter.map { "\(Int($0.seconds))s" } ?? "too long"
        let reason =
            "No reply to the customer for \(waited): moved from \(current ?? "nobody") to \(next)"
            + (due.conversation.owner.map { ", \($0) stays the owner" } ?? "")
        guard let change = try await store.reassignStale(conversation: due.conversation.id, from: current, to: next, reason: reason, at: at) else {
            return
        }
        reassignments.increment()
        await audit?.record(
            .conversationReassigned, actor: AuditActor.system, subject: "conversation:\(due.conversation.id)",
            details: [
                "reason": "no_reply", "from": current ?? "", "to": next,
            ])
        events.publish(
            .conversationAssigned(
                AssignedPayload(
                    conversation: change.conversation.id, owner: change.conversation.owner,
                    assignee: next, reason: reason)), conversation: change.conversation, alsoNotify: [current].compactMap { $0 })
    }

    /// Presence: an agent marked available but with no live connection for `after` is set away, so
    /// that customers are not routed to an empty chair.
    private func markAbsentAgentsAway(after: Duration, at: Date) async throws {
        let connected = events.presentAgents(at: at)
        for (id, load) in try await store.agentLoads() where load.status == .available && !connected.contains(id) {
            guard policy.directory[id]?.role == .agent else { continue }
            let since = events.lastDisconnect(of: id) ?? startedAt
            guard at.timeIntervalSince(since) >= after.seconds else { continue }
            try await store.setAgentStatus(id, .away)
            await audit?.record(
                .agentStatusChanged, actor: AuditActor.system, subject: "agent:\(id)",
                details: [
                    "from": load.status.rawValue, "to": AgentStatus.away.rawValue, "reason": "no_live_connection",
                ])
            logger.notice("agent set away: no live connection", metadata: ["agent": "\(id)", "for": "\(Int(at.timeIntervalSince(since)))s"])
        }
    }

    private func currentLoads() async throws -> [String: AgentLoad] {
        try await store.agentLoads()
    }
}

/// Payload of `sla.warning` and `sla.breached`.

/// When the gauges were last recorded; shared by copies of the keeper.
private final class FiguresClock: Sendable {
    let last = Mutex<Date?>(nil)
}
