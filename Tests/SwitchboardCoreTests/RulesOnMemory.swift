import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport

/// The core of one gateway with rules and webhooks on the in-memory engine: ingestion queues
/// events in its transaction, a journal writes those published after commits, and the test drains
/// the rules' queue by hand on a clock it moves.
struct RulesOnMemory {
    static let billing = Agent(id: "bill", name: "Bill Ortega", teams: ["billing"], capacity: 10)
    static let staff = Staff.all + [billing]
    static let directory = AgentDirectory(agents: staff)

    let core: CoreOnMemory
    let engine: RuleEngine
    let runner: RuleRunner
    let journal: EventJournal
    let routing: AutomationRouting

    var store: MemoryStore { core.store }
    var clock: TestClock { core.clock }

    init(
        rules: [Rule], webhooks: [AutomationRouting.Subscription] = [], sla: [SLAPolicy] = [], acknowledgements: Bool = false,
        adapters: [RecordingAdapter] = [RecordingAdapter("chat"), RecordingAdapter("wa", identityChannel: "whatsapp")],
        savedReplies: Bool = false
    ) async throws {
        let routing = AutomationRouting(subscriptions: webhooks, rules: rules)
        var policy = Plans.policy(
            acknowledgement: acknowledgements
                ? AcknowledgementPolicy(enabled: true, template: { _, _ in "We got it: {reference}" }, agent: { _ in nil }) : .off,
            directory: Self.directory)
        policy.slaPolicies = sla
        let clock = TestClock(Plans.now)
        policy.journal = { routing.queued($0, at: clock.now) }
        if routing.rulesSeeCustomerMessages {
            policy.acknowledgementHold = RuleLimits.acknowledgementHold
            policy.acknowledgementHeldFor = routing.requestsRulesSee
        }
        let core = try await CoreOnMemory(adapters: adapters, policy: policy, clock: clock)
        self.core = core
        self.routing = routing
        engine = RuleEngine(
            rules: rules, store: core.store, assignment: policy.assignment, sla: policy.sla, adapters: core.adapters,
            canned: savedReplies ? SavedReplies(store: core.store, directory: Self.directory, references: Staff.references) : NoCannedReplies(),
            events: core.events, references: Staff.references, now: { clock.now }, logger: Logger(label: "test"))
        runner = RuleRunner(engine: engine, queue: core.store, claimer: "test", now: { clock.now }, logger: Logger(label: "test"))
        let store = core.store
        let journal = EventJournal(store: store, routing: routing, logger: Logger(label: "test"), now: { clock.now })
        self.journal = journal
        core.events.record { journal.record($0, conversation: $1, cause: $2) }
    }

    /// Runs the journal while `body` runs.
    func running<T>(_ body: () async throws -> T) async throws -> T {
        try await SwitchboardCoreTests.running([journal], body)
    }

    /// Handles queued rule events until none is left (at most `rounds` batches).
    @discardableResult
    func drain(rounds: Int = 100) async throws -> Int {
        var handled = 0
        for _ in 0..<rounds {
            // What the rules published is in the queue before the next batch is claimed.
            await journal.flushed()
            let n = try await runner.drainOnce()
            if n == 0 { break }
            handled += n
        }
        return handled
    }

    /// The thread's lines written by rules.
    func ruleLines(_ conversation: Int64) async throws -> [String] {
        try await core.conversation(conversation).messages.filter { $0.author?.hasPrefix("rule:") == true }.map(\.body)
    }
}
