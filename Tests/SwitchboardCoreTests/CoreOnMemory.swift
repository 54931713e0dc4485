import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport

/// The core of one gateway on the in-memory engine: the store, the live events, the adapters, the
/// desk agents work at and the outbox behind it, all on a clock the test moves.
struct CoreOnMemory {
    let store = MemoryStore()
    let events = EventBus()
    let clock: TestClock
    let adapters: AdapterRegistry
    let policy: IngestPolicy
    let outbox: DeliveryWorker
    let desk: AgentDesk

    /// The team is the policy's (``Staff`` unless given), the adapters are `chat` (identity channel
    /// `chat`) unless given.
    init(
        adapters: [RecordingAdapter] = [RecordingAdapter("chat")], policy: IngestPolicy = Plans.policy(),
        businessHours: BusinessHours = .always,
        delivery: DeliverySettings = DeliverySettings(firstRetry: .seconds(60), maxBackoff: .seconds(600), maxAttempts: 3, concurrency: 4),
        clock: TestClock = TestClock(Plans.now)
    ) async throws {
        self.clock = clock
        try await store.prepare(agents: policy.assignment.directory.agents)
        self.adapters = AdapterRegistry(adapters.map { RegisteredAdapter(adapter: $0) })
        self.policy = policy
        let clock = clock
        outbox = DeliveryWorker(
            store: store, adapters: self.adapters, events: events, settings: delivery, key: Staff.key, claimer: "test",
            now: { clock.now }, logger: Logger(label: "test"))
        desk = AgentDesk(
            directory: policy.assignment.directory, store: store, adapters: self.adapters, events: events, outbox: outbox,
            references: Staff.references, rules: policy.assignment.rules, businessHours: businessHours, now: { clock.now })
    }

    /// Stores a customer's message as an adapter would hand it in, now.
    @discardableResult
    func receive(
        _ externalID: String, from address: String, via adapter: String = "chat", channel: String? = nil, name: String? = nil,
        text: String = "hello"
    ) async throws -> StoredInbound {
        let message = InboundMessage(
            externalID: externalID, from: ChannelIdentity(channel: channel ?? adapter, address: address), customerName: name, text: text)
        let outcomes = try await store.ingest([IngestItem(adapter: adapter, event: .message(message), receivedAt: clock.now)], policy: policy)
        guard case .stored(let stored)? = outcomes.first else { throw UnexpectedOutcome("message \(externalID) was not stored: \(outcomes)") }
        return stored
    }

    /// Sets every agent but `agent` away while `body` routes, so that new customers go to `agent`.
    func onlyAvailable<T>(_ agent: Agent, _ body: () async throws -> T) async throws -> T {
        let others = policy.assignment.directory.agents.filter { $0.id != agent.id && $0.role == .agent }
        for other in others { try await store.setAgentStatus(other.id, .away) }
        let result = try await body()
        for other in others { try await store.setAgentStatus(other.id, .available) }
        return result
    }

    /// The conversation as a supervisor sees it.
    func conversation(_ id: Int64) async throws -> ConversationDetail {
        guard let detail = try await store.conversation(id) else { throw UnexpectedOutcome("conversation \(id) is gone") }
        return detail
    }

    /// One message as stored now.
    func message(_ id: Int64, in conversation: Int64) async throws -> MessageRecord {
        guard let message = try await self.conversation(conversation).messages.first(where: { $0.id == id }) else {
            throw UnexpectedOutcome("message \(id) is not in conversation \(conversation)")
        }
        return message
    }
}
