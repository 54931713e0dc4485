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
        let first = try await store.ingest([inbound("1", from: "a@x", text: "where is my order")], policy: TestAgents.policy)[0]
        let preview = try await store.inboxPreviews(conversations: [first.conversationID!])
        #expect(preview[first.conversationID!]?.body == "where is my order")
        #expect(preview[first.conversationID!]?.waitingSince != nil)
    }
}
