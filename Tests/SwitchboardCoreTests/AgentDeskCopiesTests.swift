import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// `cc` in a reply: on channels that copy people, the agent's choice replaces the default.
@Suite struct AgentDeskCopiesTests {
    let ana = Viewer(Staff.ana)

    func mailCustomer() async throws -> (CoreOnMemory, Int64) {
        let core = try await CoreOnMemory(adapters: [
            RecordingAdapter("mail", capabilities: AdapterCapabilities(copies: true), identityChannel: "email"), RecordingAdapter("chat"),
        ])
        let id = try await core.onlyAvailable(Staff.ana) {
            try await core.receive("m1", from: "ann@team.example", via: "mail", channel: "email")
        }.conversation.id
        return (core, id)
    }

    @Test func theAgentsChoiceIsCheckedAndReachesTheChannel() async throws {
        let (core, id) = try await mailCustomer()
        let reply = try await core.desk.reply(
            to: id, body: "Copying your team", inReplyTo: nil, via: nil,
            cc: [" Carol@Team.example", "carol@team.example", "ANN@team.example", "dan@team.example"],
            by: ana)
        #expect(reply.metadata?[ReplyCopies.key] == "carol@team.example, dan@team.example", "lower-cased, once each, never the recipient")
        let none = try await core.desk.reply(to: id, body: "Just you", inReplyTo: nil, via: nil, cc: [], by: ana)
        #expect(none.metadata?[ReplyCopies.key] == "")
        let standard = try await core.desk.reply(to: id, body: "Default", inReplyTo: nil, via: nil, by: ana)
        #expect(standard.metadata?[ReplyCopies.key] == nil)
        try await running([core.outbox]) {
            try await eventually("three deliveries") { (core.adapters["mail"]!.adapter as! RecordingAdapter).deliveries.count == 3 }
        }
        let sent = Dictionary(uniqueKeysWithValues: (core.adapters["mail"]!.adapter as! RecordingAdapter).deliveries.map { ($0.id, $0.cc) })
        #expect(sent[reply.id] == .some(["carol@team.example", "dan@team.example"]))
        #expect(sent[none.id] == .some([]))
        #expect(sent[standard.id] == .some(nil))
    }

    @Test func aBadAddressIsRefusedAndNothingQueued() async throws {
        let (core, id) = try await mailCustomer()
        for bad in [
            "carol", "carol@", "@team.example", "carol@team", "Carol <carol@team.example>", "a b@team.example", "x@team.example, y@team.example",
        ] {
            let error = await refused { try await core.desk.reply(to: id, body: "x", inReplyTo: nil, via: nil, cc: [bad], by: ana) }
            #expect(error?.status == 400, "\(bad)")
        }
        let many = (0...ReplyCopies.limit).map { "p\($0)@team.example" }
        #expect(await refused { try await core.desk.reply(to: id, body: "x", inReplyTo: nil, via: nil, cc: many, by: ana) }?.status == 400)
        #expect(try await core.store.nextDeliveryDue() == nil)
    }

    @Test func aChannelThatCannotCopyRefusesCopies() async throws {
        let (core, id) = try await mailCustomer()
        let error = await refused { try await core.desk.reply(to: id, body: "x", inReplyTo: nil, via: "chat", cc: ["carol@team.example"], by: ana) }
        // The customer has no chat address: no route is the first refusal; with one, copies are refused.
        #expect(error?.status == 422)
        let chat = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann-chat", via: "chat") }
        let refusal = await refused {
            try await core.desk.reply(to: chat.conversation.id, body: "x", inReplyTo: nil, via: nil, cc: ["carol@team.example"], by: ana)
        }
        #expect(refusal?.code == "cannot_copy")
        _ = try await core.desk.reply(to: chat.conversation.id, body: "fine", inReplyTo: nil, via: nil, cc: [], by: ana)
    }

    @Test func theViewOffersCopiesOnlyWhereTheChannelCopies() async throws {
        let (core, id) = try await mailCustomer()
        let detail = try await core.desk.conversation(id, for: ana)
        #expect(detail.channels.map(\.adapter) == ["mail"])
        #expect(detail.channels.first?.copies == true)
    }
}

/// The conversation view, paged through the desk.
@Suite struct AgentDeskPagingTests {
    let ana = Viewer(Staff.ana)

    @Test func pagesComeNewestFirstWithACursorAndBadCursorsAreRefused() async throws {
        let core = try await CoreOnMemory()
        let first = try await core.onlyAvailable(Staff.ana) { try await core.receive("c0", from: "ann") }
        let id = first.conversation.id
        for i in 1...9 {
            core.clock.advance(60)
            try await core.receive("c\(i)", from: "ann")
        }
        let whole = try await core.desk.conversation(id, for: ana)
        #expect(whole.nextBefore == nil)
        let newest = try await core.desk.conversation(id, for: ana, page: MessagePage(limit: 4))
        #expect(newest.messages.map(\.id) == Array(whole.messages.map(\.id).suffix(4)))
        #expect(newest.nextBefore == newest.messages.first?.id)
        #expect(newest.channels == whole.channels, "the reply channels come from the whole thread")
        #expect(newest.sla == whole.sla)
        let older = try await core.desk.conversation(id, for: ana, page: MessagePage(limit: 4, before: newest.nextBefore))
        #expect(older.messages.map(\.id) == Array(whole.messages.map(\.id).dropLast(4).suffix(4)))

        #expect(await refused { try await core.desk.conversation(id, for: ana, page: MessagePage(limit: 0)) }?.status == 400)
        #expect(await refused { try await core.desk.conversation(id, for: ana, page: MessagePage(limit: 201)) }?.status == 400)
        let other = try await core.receive("z1", from: "zoe")
        #expect(await refused { try await core.desk.conversation(id, for: ana, page: MessagePage(before: other.message.id)) }?.status == 400)
        #expect(await refused { try await core.desk.conversation(id, for: ana, page: MessagePage(before: 999_999)) }?.status == 400)
    }
}

/// Splitting a participant off a conversation, through the desk.
@Suite struct AgentDeskParticipantTests {
    @Test func theAgentOfTheConversationSplitsAParticipantOffAndTheThreadSaysSo() async throws {
        let core = try await CoreOnMemory(adapters: [
            RecordingAdapter("mail", capabilities: AdapterCapabilities(copies: true), identityChannel: "email")
        ])
        var message = InboundMessage(externalID: "m1", from: ChannelIdentity(channel: "email", address: "ann@team.example"), text: "hi")
        message.metadata[InboundMessage.participantsKey] = "bob@team.example"
        let stored = try await core.onlyAvailable(Staff.ana) {
            try await core.store.ingest([IngestItem(adapter: "mail", event: .message(message), receivedAt: core.clock.now)], policy: core.policy)[0]
        }
        let id = try #require(stored.conversationID)
        let luis = await refused { try await core.desk.removeParticipant(id, address: "bob@team.example", by: Viewer(Staff.luis)) }
        #expect(luis?.status == 403)
        let removal = try await core.desk.removeParticipant(id, address: " Bob@Team.example ", by: Viewer(Staff.ana))
        #expect(removal.removed && removal.address == "bob@team.example")
        #expect(removal.event?.direction == .event && removal.event?.author == "ana")
        #expect(try await core.desk.conversation(id, for: Viewer(Staff.ana)).participants.isEmpty)
        #expect(try await core.desk.removeParticipant(id, address: "bob@team.example", by: Viewer(Staff.ana)).removed == false)
    }
}
