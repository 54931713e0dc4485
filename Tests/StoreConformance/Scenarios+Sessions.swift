import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// What the console keeps: passwords, sessions, and the inbox's previews.
extension StoreConformance {
    static let sessionScenarios: [StoreScenario] = [
        StoreScenario("passwords and console sessions round-trip; signing an agent out ends only theirs", on: passwordsAndSessions),
        StoreScenario("the inbox preview shows the latest inbound text and since when it waits", on: inboxPreviews),
    ]

    @Sendable static func passwordsAndSessions(_ sessions: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await sessions.setPassword(agent: "ana", hash: [1, 2, 3], salt: [9, 8], iterations: 1000, at: now)
        let stored = try #require(try await sessions.password(agent: "ana"))
        #expect(stored.hash == [1, 2, 3] && stored.salt == [9, 8] && stored.iterations == 1000)
        try await sessions.createSession(tokenHash: [7, 7], agent: "ana", csrfToken: "csrf", at: now)
        #expect(try await sessions.session(tokenHash: [7, 7])?.agentID == "ana")
        #expect(try await sessions.session(tokenHash: [7, 7])?.tokenFingerprint == nil)
        try await sessions.deleteExpiredSessions(idleBefore: now.addingTimeInterval(1), createdBefore: now)
        #expect(try await sessions.session(tokenHash: [7, 7]) == nil)
        // A session opened with a token keeps its fingerprint; signing an agent out ends only theirs.
        try await sessions.createSession(tokenHash: [1], agent: "ana", csrfToken: "c1", tokenFingerprint: [4, 2], at: now)
        try await sessions.createSession(tokenHash: [2], agent: "ana", csrfToken: "c2", at: now)
        try await sessions.createSession(tokenHash: [3], agent: "luis", csrfToken: "c3", at: now)
        #expect(try await sessions.session(tokenHash: [1])?.tokenFingerprint == [4, 2])
        #expect(try await sessions.deleteSessions(agent: "ana") == 2)
        #expect(try await sessions.session(tokenHash: [1]) == nil)
        #expect(try await sessions.session(tokenHash: [2]) == nil)
        #expect(try await sessions.session(tokenHash: [3])?.agentID == "luis")
    }

    @Sendable static func inboxPreviews(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let waiting = try await store.ingest([inbound("1", from: "a@x", text: "where is my order", at: now)], policy: TestAgents.policy)[0]
        // Answered, then written to again: the wait runs from the first message after the reply.
        let answered = try #require(
            try await store.ingest([inbound("2", from: "b@x", text: "hello", at: now.addingTimeInterval(-300))], policy: TestAgents.policy)[0]
                .conversationID)
        let route = try #require(try await store.replyRoute(conversation: answered, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: answered, author: "ana", body: "on its way", route: route, at: now.addingTimeInterval(-200))
        _ = try await store.ingest(
            [
                inbound("3", from: "b@x", text: "thanks", at: now.addingTimeInterval(-100)),
                inbound("4", from: "b@x", text: "it arrived", at: now.addingTimeInterval(-50)),
            ], policy: TestAgents.policy)
        // Answered last: nobody waits, and the preview is the agent's reply.
        let done = try #require(
            try await store.ingest([inbound("5", from: "c@x", text: "hi", at: now.addingTimeInterval(-300))], policy: TestAgents.policy)[0]
                .conversationID)
        let doneRoute = try #require(try await store.replyRoute(conversation: done, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: done, author: "ana", body: "all sorted", route: doneRoute, at: now.addingTimeInterval(-10))

        let first = try #require(waiting.conversationID)
        let previews = try await store.inboxPreviews(conversations: [first, answered, done, 999_999])
        #expect(previews.count == 3, "a conversation that does not exist has no preview")
        #expect(previews[first]?.body == "where is my order")
        #expect(previews[first]?.waitingSince.map { abs($0.timeIntervalSince(now)) < 0.001 } == true)
        #expect(previews[answered]?.body == "it arrived")
        #expect(previews[answered]?.direction == .inbound)
        #expect(previews[answered]?.waitingSince.map { abs($0.timeIntervalSince(now.addingTimeInterval(-100))) < 0.001 } == true)
        #expect(previews[done]?.body == "all sorted")
        #expect(previews[done]?.direction == .outbound)
        #expect(previews[done]?.waitingSince == nil)
        #expect(try await store.inboxPreviews(conversations: []).isEmpty)
    }
}
