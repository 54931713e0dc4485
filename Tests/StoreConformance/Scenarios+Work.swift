import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Work moving between agents, and the promises' clocks.
extension StoreConformance {
    static let workScenarios: [StoreScenario] = [
        StoreScenario("an available owner gets back what others covered and the queue drains oldest first", on: takeWork),
        StoreScenario("promises come due and are marked once; escalation, pending, tags and suggestions", on: promisesComeDueOnce),
        StoreScenario("answered conversations run the next-response clock and pending stops them", on: nextResponseAndPending),
    ]

    @Sendable static func takeWork(_ store: any Store) async throws {
        let first = try await store.ingest([inbound("1", from: "a@x")], policy: TestAgents.policy)[0]
        let owner = try #require(first.owner)
        let other = owner == "ana" ? "luis" : "ana"
        try await store.setAgentStatus(owner, .away)
        let covered = try await store.ingest([inbound("2", from: "a@x")], policy: TestAgents.policy)[0]
        #expect(covered.owner == owner)
        #expect(covered.assignee == other)
        #expect(covered.assignment?.event?.body.contains("stays the owner") == true)

        try await store.setAgentStatus(other, .away)
        let waiting = try await store.ingest([inbound("3", from: "new1@x"), inbound("4", from: "new2@x")], policy: TestAgents.policy)
        #expect(waiting.allSatisfy { $0.owner == nil && $0.assignee == nil })

        try await store.setAgentStatus(owner, .available)
        let changes = try await store.takeWork(agent: owner, teams: ["support"], returnToOwner: true, capacity: 2, at: Date())
        #expect(changes.map(\.conversation.id) == [first.conversationID!, waiting[0].conversationID!])
        #expect(changes[0].previousAssignee == other)
        #expect(changes[1].conversation.owner == owner)
        #expect(try await store.access(conversation: waiting[1].conversationID!)?.assignee == nil, "capacity 2 reached")
    }

    @Sendable static func promisesComeDueOnce(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.ingest([inbound("1", from: "a@x", at: base)], policy: TestAgents.policy)[0]
        let id = try #require(first.conversationID)
        #expect(try await store.promisesDue(now: base.addingTimeInterval(60), staleAfter: nil, limit: 10).isEmpty)
        let warn = try await store.promisesDue(now: base.addingTimeInterval(3000), staleAfter: nil, limit: 10)
        #expect(warn.map(\.kind) == [.warning])
        _ = try await store.markPromise(conversation: id, .warning, event: nil, at: base.addingTimeInterval(3000))
        let breach = try await store.promisesDue(now: base.addingTimeInterval(3700), staleAfter: nil, limit: 10)
        #expect(breach.map(\.kind) == [.breach])
        let event = try await store.markPromise(conversation: id, .breach, event: "overdue", at: base.addingTimeInterval(3700))
        #expect(event?.body == "overdue")
        #expect(try await store.promisesDue(now: base.addingTimeInterval(3700), staleAfter: nil, limit: 10).isEmpty)
        #expect(try await store.conversation(id)?.escalated == true)
        _ = try await store.closeEscalation(conversation: id, by: "marta", note: "handled", at: base.addingTimeInterval(3800))
        #expect(try await store.conversation(id)?.escalated == false)
        _ = try await store.setPending(conversation: id, true, by: "ana", at: base.addingTimeInterval(3900))
        #expect(try await store.access(conversation: id)?.status == .pending)
        _ = try await store.setPending(conversation: id, false, by: "ana", at: base.addingTimeInterval(4000))
        #expect(try await store.addTags(conversation: id, tags: ["b", "a", "a"], by: "ana", at: base) == ["a", "b"])
        let suggestion = try await store.addSuggestion(author: "ana", body: "more hands", conversation: id, at: base)
        #expect(try await store.suggestions(limit: 5) == [suggestion])
    }

    @Sendable static func nextResponseAndPending(_ store: any Store) async throws {
        var policy = TestAgents.policy
        policy.nextResponse = { _ in .seconds(600) }
        policy.resolution = { _ in .seconds(86400) }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.ingest([inbound("1", from: "ivy@x", at: t0)], policy: policy)[0]
        let id = try #require(first.conversationID)
        var detail = try #require(try await store.conversation(id))
        #expect(detail.firstResponseDue == t0.addingTimeInterval(3600))
        #expect(detail.resolutionDue == t0.addingTimeInterval(86400))

        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: id, author: "ana", body: "hi", route: route, at: t0.addingTimeInterval(60))
        _ = try await store.ingest([inbound("2", from: "ivy@x", at: t0.addingTimeInterval(120))], policy: policy)
        detail = try #require(try await store.conversation(id))
        #expect(detail.firstResponseDue == t0.addingTimeInterval(120 + 600))  // next_response, not first_response

        _ = try await store.setPending(conversation: id, true, by: "ana", at: t0.addingTimeInterval(3600))
        detail = try #require(try await store.conversation(id))
        #expect(detail.status == .pending && detail.firstResponseDue == nil && detail.resolutionDue == nil)
        let due = try await store.promisesDue(now: t0.addingTimeInterval(10 * 86400), staleAfter: nil, limit: 10)
        #expect(due.isEmpty)  // nothing runs while waiting on the customer

        // The customer answers two days later: open again, the resolution clock resumes with the 23 h left.
        let back = t0.addingTimeInterval(2 * 86400)
        _ = try await store.ingest([inbound("3", from: "ivy@x", at: back)], policy: policy)
        detail = try #require(try await store.conversation(id))
        #expect(detail.status == .open)
        #expect(detail.resolutionDue == back.addingTimeInterval(86400 - 3600))
        let overdue = try await store.promisesDue(now: back.addingTimeInterval(86400), staleAfter: nil, limit: 10)
        #expect(overdue.contains { $0.kind == .resolution })
    }
}
