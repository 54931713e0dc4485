import Foundation
import Logging
import ServiceLifecycle
import SwitchboardAdapterAPI
import SwitchboardCore
import Synchronization
import Testing

/// The committer's promise to a channel: a 2xx only after the flush that follows the commit, however
/// the flushes and commits interleave, and no 2xx at all once a flush failed.
@Suite struct GroupCommitterTests {
    /// The memory engine, whose flushes wait until the test lets each one finish (or fail).
    final class GatedStore: InboundStore {
        let memory = MemoryStore()
        private let state = Mutex<(waiting: [CheckedContinuation<Void, any Error>], flushes: Int)>(([], 0))
        /// Each commit's items, by external id, in commit order.
        private let commits = Mutex<[[String]]>([])
        /// While set, the next commit waits until ``releaseCommit()``.
        private let heldCommit = Mutex<(hold: Bool, waiting: CheckedContinuation<Void, Never>?)>((false, nil))

        func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
            commits.withLock { $0.append(items.map { if case .message(let m) = $0.event { m.externalID } else { "?" } }) }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = heldCommit.withLock { held -> Bool in
                    guard held.hold else { return false }
                    held = (false, continuation)
                    return true
                }
                if !wait { continuation.resume() }
            }
            return try await memory.ingest(items, policy: policy)
        }

        var committedGroups: [[String]] { commits.withLock { $0 } }
        func holdNextCommit() { heldCommit.withLock { $0.hold = true } }
        var commitHeld: Bool { heldCommit.withLock { $0.waiting != nil } }
        func releaseCommit() {
            let waiting = heldCommit.withLock { held in
                defer { held.waiting = nil }
                return held.waiting
            }
            waiting?.resume()
        }

        func syncCommitted() async throws {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { $0.waiting.append(continuation) }
            }
        }

        /// Flushes started and not yet finished.
        var waitingFlushes: Int { state.withLock { $0.waiting.count } }
        var finishedFlushes: Int { state.withLock { $0.flushes } }

        /// Finishes the oldest waiting flush.
        func finishFlush(failing error: (any Error)? = nil) {
            let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard !state.waiting.isEmpty else { return nil }
                state.flushes += 1
                return state.waiting.removeFirst()
            }
            if let error { next?.resume(throwing: error) } else { next?.resume() }
        }
    }

    struct DiskFull: Error {}

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    let policy = Plans.policy()

    func item(_ id: String, from address: String = "ann") -> IngestItem {
        IngestItem(
            adapter: "chat", event: .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: address), text: "hi")),
            receivedAt: Plans.now)
    }

    func stored(_ store: GatedStore) async throws -> Int {
        let viewer = Viewer(Staff.marta)
        return try await store.memory.conversations(ConversationQuery(viewer: viewer, status: .all, limit: 100)).count
    }

    @Test func aCallerIsAnsweredOnlyAfterTheFlushThatFollowsItsCommit() async throws {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let committer = GroupCommitter(store: store, policy: policy, logger: Logger(label: "test"))
        try await running([committer]) {
            let answered = Flag()
            let first = Task {
                defer { answered.set() }
                return try await committer.submit([item("1")])
            }
            try await eventually("the first group is committed and its flush started") { store.waitingFlushes == 1 }
            #expect(try await stored(store) == 1, "committed: visible to agents")
            // Committed while the first flush runs: waits for a flush of its own.
            let second = Task { try await committer.submit([item("2", from: "bob")]) }
            try await eventually("the second group is committed") { try await stored(store) == 2 }
            #expect(!answered.isSet, "no answer before the flush")

            store.finishFlush()
            guard case .stored = try await first.value.first else { throw UnexpectedOutcome("the first message was not stored") }
            try await eventually("the second group's flush started") { store.waitingFlushes == 1 }
            store.finishFlush()
            guard case .stored = try await second.value.first else { throw UnexpectedOutcome("the second message was not stored") }
            #expect(store.finishedFlushes == 2)
        }
    }

    @Test func oneFlushAnswersEveryGroupCommittedBeforeIt() async throws {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let committer = GroupCommitter(store: store, policy: policy, logger: Logger(label: "test"))
        try await running([committer]) {
            let first = Task { try await committer.submit([item("1")]) }
            try await eventually("the first flush started") { store.waitingFlushes == 1 }
            let later = (2...5).map { n in Task { try await committer.submit([item("\(n)", from: "customer-\(n)")]) } }
            try await eventually("every later group is committed") { try await stored(store) == 5 }
            store.finishFlush()
            _ = try await first.value
            try await eventually("the next flush started") { store.waitingFlushes == 1 }
            store.finishFlush()
            for task in later { _ = try await task.value }
            #expect(store.finishedFlushes == 2, "four groups committed during one flush need one more flush, not four")
        }
    }

    /// Commits a lone message, then two requests queued behind it as one group, so the next small
    /// group is one the writer holds back; returns the three submissions.
    func loneThenTwoTogether(_ committer: GroupCommitter, _ store: GatedStore) async throws -> [Task<[IngestOutcome], any Error>] {
        store.holdNextCommit()
        let first = Task { try await committer.submit([item("1")]) }
        try await eventually("the first commit is being written") { store.commitHeld }
        let second = Task { try await committer.submit([item("2", from: "bob")]) }
        let third = Task { try await committer.submit([item("3", from: "cy")]) }
        try await eventually("both queued behind the held commit") { committer.queuedRequests == 2 }
        store.releaseCommit()
        try await eventually("the two queued requests are committed together") { store.committedGroups.count == 2 }
        return [first, second, third]
    }

    /// PostgreSQL's `commit_delay` with `commit_siblings`: a small group is held for the delay only
    /// when the previous one shows others writing at the same time; a lone message is written at once.
    @Test func aSmallGroupWaitsTheCommitDelayOnlyWhileOthersAreWriting() async throws {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let committer = GroupCommitter(store: store, policy: policy, commitDelay: .milliseconds(400), logger: Logger(label: "test"))
        try await running([committer]) {
            let firstThree = try await loneThenTwoTogether(committer, store)
            #expect(store.committedGroups == [["1"], ["2", "3"]], "a lone first message is not held; queued ones go together")
            // The last group held two requests: a new small one waits for company.
            let fourth = Task { try await committer.submit([item("4", from: "dee")]) }
            try await Task.sleep(for: .milliseconds(100))  // the writer has taken it alone; well inside the 400 ms delay
            let fifth = Task { try await committer.submit([item("5", from: "eve")]) }
            try await eventually("the held group is committed") { store.committedGroups.count == 3 }
            #expect(store.committedGroups.last == ["4", "5"], "the fifth joined the fourth during the delay")
            let flushes = Task {
                while !Task.isCancelled {
                    store.finishFlush()
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            defer { flushes.cancel() }
            for task in firstThree + [fourth, fifth] {
                guard case .stored = try await task.value.first else { throw UnexpectedOutcome("a message was not stored") }
            }
        }
    }

    /// The delay is a bound, not a sleep: once a held group has gathered enough messages it is
    /// committed at once, so a fast stream does not queue up behind a writer that waits for nothing.
    @Test func aHeldGroupIsCommittedAsSoonAsEnoughMessagesHaveGathered() async throws {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let committer = GroupCommitter(store: store, policy: policy, commitDelay: .seconds(120), logger: Logger(label: "test"))
        try await running([committer]) {
            let flushes = Task {
                while !Task.isCancelled {
                    store.finishFlush()
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            defer { flushes.cancel() }
            let firstThree = try await loneThenTwoTogether(committer, store)
            // The last group held two requests, so the writer holds this lone one for company.
            let fourth = Task { try await committer.submit([item("4", from: "dee")]) }
            try await eventually("the writer holds the fourth, waiting for more") { committer.isGathering }
            let burst = (5...11).map { item("\($0)", from: "c\($0)") }
            let rest = Task { try await committer.submit(burst) }
            try await eventually("eight messages gathered: committed long before the 120 s delay") { store.committedGroups.count == 3 }
            #expect(store.committedGroups.last == (4...11).map { "\($0)" })
            for task in firstThree + [fourth, rest] {
                guard case .stored = try await task.value.first else { throw UnexpectedOutcome("a message was not stored") }
            }
        }
    }

    @Test func aFlushThatCouldNotTellRefusesOnlyTheGroupsItWasFor() async throws {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let committer = GroupCommitter(store: store, policy: policy, logger: Logger(label: "test"))
        try await running([committer]) {
            let first = Task { try await committer.submit([item("1")]) }
            try await eventually("the flush started") { store.waitingFlushes == 1 }
            store.finishFlush(failing: StoreError.unavailable("connection lost"))
            await #expect(throws: ServiceError.self, "the channel gets a 503 and retries") { try await first.value }

            let retry = Task { try await committer.submit([item("1")]) }
            try await eventually("the retry's flush started") { store.waitingFlushes == 1 }
            store.finishFlush()
            guard case .duplicate = try await retry.value.first else {
                throw UnexpectedOutcome("the retry should find the message the first attempt committed")
            }
        }
    }

    @Test func aFailedFlushRefusesEveryoneWaitingAndStopsTheCommitter() async throws {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let committer = GroupCommitter(store: store, policy: policy, logger: Logger(label: "test"))
        let run = Task { try await committer.run() }
        let first = Task { try await committer.submit([item("1")]) }
        try await eventually("the flush started") { store.waitingFlushes == 1 }
        store.finishFlush(failing: DiskFull())

        await #expect(throws: ServiceError.self, "the channel gets a 503 and retries") { try await first.value }
        await #expect(throws: ServiceError.self, "nothing more is acknowledged") { try await committer.submit([item("2")]) }
        await #expect(throws: GroupCommitter.SyncFailed.self, "the gateway stops, so the database recovers on restart") {
            try await run.value
        }
    }

    /// What an operator sees when the disk is slow: a warning per slow flush, with how long the
    /// channels' answers waited and for how many groups.
    @Test func aSlowFlushIsLoggedWithHowLongTheAnswersWaited() async throws {
        let (store, committer, warnings) = try await committerLoggingWarnings()
        try await running([committer]) {
            let slow = Task { try await committer.submit([item("1")]) }
            try await eventually("the flush started") { store.waitingFlushes == 1 }
            try await Task.sleep(for: GroupCommitter.slowFlush * 1.5)
            store.finishFlush()
            _ = try await slow.value
        }
        let logged = try #require(warnings.lines.first { $0.message.contains("flushing committed messages to disk was slow") })
        #expect(Int(logged.metadata["took_ms"] ?? "") ?? 0 >= 150)
        #expect(logged.metadata["groups"] == "1")
    }

    /// A group whose transaction is slow holds up every request queued behind it, with the disk not
    /// to blame: the operator sees that apart from slow flushes, with the group's size.
    @Test func aSlowGroupWriteIsLoggedWithHowLongItTookAndHowManyMessages() async throws {
        let (store, committer, warnings) = try await committerLoggingWarnings()
        try await running([committer]) {
            store.holdNextCommit()
            let slow = Task { try await committer.submit([item("1"), item("2")]) }
            try await eventually("the commit started") { store.commitHeld }
            try await Task.sleep(for: GroupCommitter.slowWrite * 1.5)
            store.releaseCommit()
            try await eventually("the flush started") { store.waitingFlushes == 1 }
            store.finishFlush()
            _ = try await slow.value
        }
        let logged = try #require(warnings.lines.first { $0.message.contains("writing an ingest group was slow") })
        #expect(Int(logged.metadata["took_ms"] ?? "") ?? 0 >= 75)
        #expect(logged.metadata["messages"] == "2")
    }

    /// A committer over a gated store whose warnings are kept.
    func committerLoggingWarnings() async throws -> (GatedStore, GroupCommitter, WarningLog) {
        let store = GatedStore()
        try await store.memory.prepare(agents: policy.assignment.directory.agents)
        let warnings = WarningLog()
        return (store, GroupCommitter(store: store, policy: policy, logger: Logger(label: "test") { _ in warnings }), warnings)
    }

    /// Keeps the warnings a logger was given (message and metadata).
    final class WarningLog: LogHandler, Sendable {
        private let kept = Mutex<[(message: String, metadata: [String: String])]>([])
        var lines: [(message: String, metadata: [String: String])] { kept.withLock { $0 } }
        var logLevel: Logger.Level {
            get { .warning }
            set {}
        }
        var metadata: Logger.Metadata {
            get { [:] }
            set {}
        }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { nil }
            set {}
        }
        func log(event: LogEvent) {
            kept.withLock { $0.append(("\(event.message)", (event.metadata ?? [:]).mapValues { "\($0)" })) }
        }
    }
}
