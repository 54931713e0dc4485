import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Every behaviour a store must show, as data: each engine's test target runs the whole list with
/// one parameterized test (as fluent-kit's `FluentBenchmarker` is run by every database driver).
/// An engine is correct when it passes every scenario; the SQL engines are the reference.
///
/// ```swift
/// @Test(arguments: StoreConformance.scenarios)
/// func conforms(_ scenario: StoreScenario) async throws { try await scenario.run(maker) }
/// ```
public enum StoreConformance {
    /// All scenarios, grouped by the role of the store they exercise.
    public static let scenarios: [StoreScenario] =
        routingScenarios + inboundScenarios + acknowledgementScenarios + outboxScenarios + customerScenarios + referenceScenarios
        + workScenarios + attachmentScenarios + sessionScenarios + serviceScenarios + searchScenarios
        + savedReplyScenarios + mentionScenarios + automationScenarios
        + auditScenarios + secondFactorScenarios + erasureScenarios + retentionScenarios + mailboxPositionScenarios
        + uploadScenarios + participantScenarios + threadPageScenarios + adapterValueScenarios + mediaFetchScenarios
        + contactCountScenarios + customerSearchScenarios
}

/// One behaviour of a store, run against a fresh store of the engine under test.
public struct StoreScenario: Sendable, CustomTestStringConvertible {
    /// What the scenario shows, as a sentence.
    public let name: String
    /// Runs the scenario with stores from `maker`; fails through `#expect` / `#require`.
    public let run: @Sendable (StoreMaker) async throws -> Void

    public init(_ name: String, run: @escaping @Sendable (StoreMaker) async throws -> Void) {
        self.name = name
        self.run = run
    }

    /// A scenario on one store prepared with ``TestAgents/all``.
    public init(_ name: String, on body: @escaping @Sendable (any Store) async throws -> Void) {
        self.init(name) { maker in try await maker.withStore { try await body($0) } }
    }

    public var testDescription: String { name }
}

/// Makes fresh stores of one engine for the scenarios, and removes them afterwards.
public struct StoreMaker: Sendable {
    /// A store as the engine opened it (not yet prepared), and how to close and remove it.
    public typealias Opened = (store: any Store, remove: @Sendable () async -> Void)

    /// The engine's name, for messages.
    public let engine: String
    private let open: @Sendable () async throws -> Opened

    /// `open` makes a new empty store each time it is called (a temporary file, a new database).
    public init(engine: String, open: @escaping @Sendable () async throws -> Opened) {
        self.engine = engine
        self.open = open
    }

    /// Runs `body` with a fresh store prepared with `agents`, and removes the store afterwards,
    /// whether `body` returned or threw.
    public func withStore<T>(agents: [Agent] = TestAgents.all, _ body: (any Store) async throws -> T) async throws -> T {
        let opened = try await open()
        do {
            try await opened.store.prepare(agents: agents)
            let result = try await body(opened.store)
            await opened.remove()
            return result
        } catch {
            await opened.remove()
            throw error
        }
    }
}
