import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Synchronization
import Testing

/// Saved replies: who gets which, one shortcut per scope and owner, changes, deletions, use counts.
extension StoreConformance {
    static let savedReplyScenarios: [StoreScenario] = [
        StoreScenario("saved replies are listed to their audience", on: savedRepliesReachTheirAudience),
        StoreScenario("a saved reply's plan sees the one it replaces and a clashing shortcut", on: savedReplyPlanSeesClashes),
        StoreScenario("saved replies keep their id and use count when changed, and are deleted only if allowed", on: savedRepliesChangeAndGo),
    ]

    /// Saves a reply as the planner would, refusing nothing.
    static func saveReply(
        _ store: any Store, id: Int64? = nil, _ shortcut: String, _ scope: CannedResponseScope, owner: String? = nil, body: String = "text"
    ) async throws -> CannedResponse {
        try await store.saveCannedResponse(id: id, shortcut: shortcut, scope: scope, owner: owner) { existing, _ in
            CannedResponse(
                id: existing?.id ?? 0, shortcut: shortcut, title: "T \(shortcut)", body: body, scope: scope, language: "es", owner: owner,
                updatedAt: Date(timeIntervalSince1970: 1_700_000_000), uses: existing?.uses)
        }
    }

    @Sendable static func savedRepliesReachTheirAudience(_ store: any Store) async throws {
        let anas = try await saveReply(store, "gracias", .personal, owner: "ana")
        let luiss = try await saveReply(store, "gracias", .personal, owner: "luis")
        let support = try await saveReply(store, "reembolso", .team("support"))
        let sales = try await saveReply(store, "oferta", .team("sales"))
        let everyone = try await saveReply(store, "hola", .everyone, body: "Hola {customer.first_name} — ¿en qué te ayudo?")
        let ana = try await store.cannedResponses(for: CannedResponseAudience(agent: "ana", teams: ["support"], allTeams: false))
        #expect(ana.map(\.id) == [anas.id, everyone.id, support.id], "by shortcut")
        #expect(ana.first { $0.id == everyone.id }?.body == "Hola {customer.first_name} — ¿en qué te ayudo?")
        #expect(ana.first { $0.id == anas.id }?.owner == "ana")
        #expect(ana.first { $0.id == anas.id }?.language == "es")
        #expect(ana.first { $0.id == support.id }?.scope == .team("support"))
        let supervisor = try await store.cannedResponses(for: CannedResponseAudience(agent: "marta", teams: [], allTeams: true))
        #expect(Set(supervisor.map(\.id)) == [everyone.id, sales.id, support.id], "every team's, nobody else's personal ones")
        let luis = try await store.cannedResponses(for: CannedResponseAudience(agent: "luis", teams: [], allTeams: false))
        #expect(luis.map(\.id) == [luiss.id, everyone.id])
        #expect(try await store.cannedResponse(support.id)?.shortcut == "reembolso")
        #expect(try await store.cannedResponse(9999) == nil)
    }

    @Sendable static func savedReplyPlanSeesClashes(_ store: any Store) async throws {
        let first = try await saveReply(store, "late", .personal, owner: "ana")
        let seen = Mutex<[(CannedResponse?, CannedResponse?)]>([])
        func attempt(id: Int64?, _ shortcut: String, _ scope: CannedResponseScope, owner: String?) async throws {
            _ = try? await store.saveCannedResponse(id: id, shortcut: shortcut, scope: scope, owner: owner) { existing, clash in
                seen.withLock { $0.append((existing, clash)) }
                throw ServiceError(status: 409, code: "shortcut_taken", message: "stop here")
            }
        }
        try await attempt(id: nil, "late", .personal, owner: "ana")
        try await attempt(id: nil, "late", .personal, owner: "luis")
        try await attempt(id: nil, "late", .everyone, owner: nil)
        try await attempt(id: first.id, "late", .personal, owner: "ana")
        let calls = seen.withLock { $0 }
        #expect(calls.map { $0.0?.id } == [nil, nil, nil, first.id])
        #expect(calls.map { $0.1?.id } == [first.id, nil, nil, nil], "a reply does not clash with itself")
        // Refused by the plan: nothing written.
        #expect(try await store.cannedResponses(for: CannedResponseAudience(agent: "luis", teams: [], allTeams: true)).isEmpty)
        await #expect(throws: StoreError.self) { try await saveReply(store, id: 424242, "x", .everyone) }
    }

    @Sendable static func savedRepliesChangeAndGo(_ store: any Store) async throws {
        let reply = try await saveReply(store, "envio", .everyone)
        try await store.countCannedResponseUse(reply.id)
        try await store.countCannedResponseUse(reply.id)
        let changed = try await saveReply(store, id: reply.id, "envío-24h", .team("support"), body: "Sale hoy")
        #expect(changed.id == reply.id && changed.uses == 2)
        let read = try #require(try await store.cannedResponse(reply.id))
        #expect(read.shortcut == "envío-24h" && read.scope == .team("support") && read.body == "Sale hoy" && read.uses == 2)
        let kept = try? await store.deleteCannedResponse(reply.id) { _ in throw ServiceError.forbidden("no") }
        #expect(kept == nil)
        #expect(try await store.cannedResponse(reply.id) != nil)
        #expect(try await store.deleteCannedResponse(reply.id) { _ in })
        #expect(try await store.deleteCannedResponse(reply.id) { _ in } == false)
        #expect(try await store.cannedResponse(reply.id) == nil)
    }
}
