import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Saved replies at the desk: who manages which scope, who sees which, rendering for a conversation
/// one may read, use counts for supervisors, and that a gap never reaches the customer.
@Suite struct AgentDeskCannedResponseTests {
    let ana = Staff.ana, luis = Staff.luis, marta = Staff.marta

    func draft(_ shortcut: String, _ scope: CannedResponseScope = .personal, body: String = "Hi {customer.first_name}") -> CannedResponseDraft {
        CannedResponseDraft(shortcut: shortcut, title: "Title \(shortcut)", body: body, scope: scope, language: "en")
    }

    @Test func agentsKeepPersonalOnesSupervisorsShareThem() async throws {
        let desk = try await CoreOnMemory().desk
        let mine = try await desk.createCannedResponse(draft("/Thanks"), by: ana)
        #expect(mine.shortcut == "thanks" && mine.owner == "ana" && mine.scope == .personal)
        #expect(await refused { try await desk.createCannedResponse(draft("team", .team("support")), by: ana) }?.status == 403)
        #expect(await refused { try await desk.createCannedResponse(draft("all", .everyone), by: ana) }?.status == 403)
        let team = try await desk.createCannedResponse(draft("refund", .team("support")), by: marta)
        let all = try await desk.createCannedResponse(draft("hello", .everyone), by: marta)
        #expect(await refused { try await desk.createCannedResponse(draft("x", .team("nowhere")), by: marta) }?.status == 422)
        // The same shortcut once per scope and owner.
        #expect(await refused { try await desk.createCannedResponse(draft("thanks"), by: ana) }?.code == "shortcut_taken")
        _ = try await desk.createCannedResponse(draft("thanks"), by: luis)

        #expect(try await desk.cannedResponses(for: ana).map(\.id).sorted() == [mine.id, team.id, all.id].sorted())
        #expect(try await desk.cannedResponses(for: luis).map(\.shortcut).sorted() == ["hello", "refund", "thanks"])
        #expect(try await desk.cannedResponses(for: ana).allSatisfy { $0.uses == nil }, "use counts are for supervisors")

        // Agents change their own only; supervisors the shared ones, not someone's personal one.
        #expect(await refused { try await desk.updateCannedResponse(team.id, draft("refund", .team("support")), by: ana) }?.status == 403)
        #expect(await refused { try await desk.updateCannedResponse(mine.id, draft("thanks"), by: luis) }?.status == 404)
        #expect(await refused { try await desk.deleteCannedResponse(mine.id, by: marta) }?.status == 404)
        let renamed = try await desk.updateCannedResponse(mine.id, draft("ty", body: "Thank you!"), by: ana)
        #expect(renamed.id == mine.id && renamed.shortcut == "ty" && renamed.body == "Thank you!")
        #expect(await refused { try await desk.updateCannedResponse(999, draft("ty"), by: ana) }?.status == 404)
        try await desk.deleteCannedResponse(all.id, by: marta)
        #expect(await refused { try await desk.deleteCannedResponse(all.id, by: marta) }?.status == 404)
        for bad in ["", "two words", String(repeating: "x", count: 41)] {
            #expect(await refused { try await desk.createCannedResponse(draft(bad), by: ana) }?.status == 400, "\(bad)")
        }
    }

    @Test func renderingFillsTheConversationInAndCountsUses() async throws {
        let core = try await CoreOnMemory()
        let desk = core.desk
        let stored = try await core.onlyAvailable(ana) { try await core.receive("r1", from: "olga", name: "Olga Ruiz", text: "hello") }
        let id = stored.conversation.id
        let reply = try await desk.createCannedResponse(
            draft(
                "ack", .everyone, body: "Hi {customer.first_name}, {owner.name} here ({reference}); {agent.name} wrote this. {context.shop.status}"),
            by: marta)
        let rendered = try await desk.renderCannedResponse(reply.id, conversation: id, by: ana)
        #expect(rendered.text == "Hi Olga, Ana Ruiz here (\(Staff.references.format(id))); Ana Ruiz wrote this. ⟦context.shop.status⟧")
        #expect(rendered.missing == ["context.shop.status"])
        _ = try await desk.renderCannedResponse(reply.id, conversation: id, by: marta)
        #expect(try await desk.cannedResponses(for: marta).first { $0.id == reply.id }?.uses == 2)
        // Not for a conversation one may not read; not someone else's personal reply.
        #expect(await refused { try await desk.renderCannedResponse(reply.id, conversation: id, by: luis) }?.status == 403)
        let private_ = try await desk.createCannedResponse(draft("mine"), by: luis)
        #expect(await refused { try await desk.renderCannedResponse(private_.id, conversation: id, by: ana) }?.status == 404)
        // A reply still holding a gap is refused: nothing goes out blank or raw.
        let refusal = await refused { try await desk.reply(to: id, body: rendered.text, inReplyTo: nil, via: nil, by: Viewer(ana)) }
        #expect(refusal?.status == 422 && refusal?.code == "unfilled_placeholder")
        #expect(try await desk.reply(to: id, body: "Hi Olga, it shipped", inReplyTo: nil, via: nil, by: Viewer(ana)).direction == .outbound)
    }
}
