import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Where a reply leaves, and the channel's rules checked before anything is queued.
@Suite struct AgentDeskReplyTests {
    let ana = Viewer(Staff.ana)

    /// A customer who wrote through `chat` and then `sms`, both knowing them by their phone number;
    /// `voice` could reach the number too but was never used; `wa` has WhatsApp's 24 h window and
    /// SMS takes at most 20 characters.
    func twoChannelCustomer() async throws -> (CoreOnMemory, conversation: Int64, chatMessage: Int64) {
        let core = try await CoreOnMemory(adapters: [
            RecordingAdapter("chat"), RecordingAdapter("sms", capabilities: AdapterCapabilities(maxTextLength: 20)),
            RecordingAdapter("voice", identityChannel: "phone"),
        ])
        let first = try await core.onlyAvailable(Staff.ana) {
            try await core.receive("chat-1", from: "+34600000001", via: "chat", channel: "phone")
        }
        core.clock.advance(60)
        let second = try await core.receive("sms-1", from: "+34600000001", via: "sms", channel: "phone")
        #expect(second.conversation.id == first.conversation.id, "one customer, one thread")
        return (core, first.conversation.id, first.message.id)
    }

    @Test func aReplyLeavesThroughTheChannelTheCustomerLastWroteOn() async throws {
        let (core, id, _) = try await twoChannelCustomer()
        let reply = try await core.desk.reply(to: id, body: "Got it", inReplyTo: nil, via: nil, by: ana)
        #expect(reply.adapter == "sms")
        #expect(reply.direction == .outbound && reply.author == "ana")
        #expect(reply.delivery?.state == .queued)
        let queued = try await core.store.claimDeliveries(
            now: core.clock.now, limit: 10, claimer: "t", leaseUntil: core.clock.now.addingTimeInterval(60))
        #expect(queued.map(\.adapter) == ["sms"])
        #expect(queued.first?.address == "+34600000001")
        #expect(queued.first?.inReplyToExternalID == "sms-1")
    }

    @Test func aReplyToAChosenMessageLeavesThroughThatMessagesChannel() async throws {
        let (core, id, chatMessage) = try await twoChannelCustomer()
        let reply = try await core.desk.reply(to: id, body: "About your chat", inReplyTo: chatMessage, via: nil, by: ana)
        #expect(reply.adapter == "chat")
        #expect(reply.inReplyTo == chatMessage)
    }

    @Test func viaPicksTheChannelEvenOneTheCustomerNeverUsed() async throws {
        let (core, id, _) = try await twoChannelCustomer()
        #expect(try await core.desk.reply(to: id, body: "By chat", inReplyTo: nil, via: "chat", by: ana).adapter == "chat")
        let call = try await core.desk.reply(to: id, body: "Calling you", inReplyTo: nil, via: "voice", by: ana)
        #expect(call.adapter == "voice", "reached at the phone number the customer is known by")
        let unknown = await refused { try await core.desk.reply(to: id, body: "x", inReplyTo: nil, via: "pigeon", by: ana) }
        #expect(unknown?.status == 422 && unknown?.code == "unknown_adapter")
    }

    @Test func aReplyTooLongForTheChannelIsRefusedBeforeAnythingIsQueued() async throws {
        let (core, id, _) = try await twoChannelCustomer()
        let error = await refused { try await core.desk.reply(to: id, body: "This is far too long for one SMS", inReplyTo: nil, via: nil, by: ana) }
        #expect(error?.status == 422 && error?.code == "too_long")
        #expect(try await core.store.nextDeliveryDue() == nil)
        #expect(try await core.conversation(id).messages.allSatisfy { $0.direction != .outbound })
    }

    @Test func aReplyOutsideTheChannelsWindowIsRefusedBeforeAnythingIsQueued() async throws {
        let core = try await CoreOnMemory(adapters: [RecordingAdapter("wa", capabilities: AdapterCapabilities(replyWindow: .seconds(24 * 3600)))])
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("wamid.1", from: "+34600000002", via: "wa") }.conversation.id
        core.clock.advance(23 * 3600)
        let within = try await core.desk.reply(to: id, body: "Still within the day", inReplyTo: nil, via: nil, by: ana)
        core.clock.advance(2 * 3600)
        let error = await refused { try await core.desk.reply(to: id, body: "A day later", inReplyTo: nil, via: nil, by: ana) }
        #expect(error?.status == 422 && error?.code == "outside_reply_window")
        #expect(try await core.conversation(id).messages.filter { $0.direction == .outbound }.map(\.body) == ["Still within the day"])
        let queued = try await core.store.claimDeliveries(
            now: core.clock.now, limit: 10, claimer: "t", leaseUntil: core.clock.now.addingTimeInterval(60))
        #expect(queued.map(\.messageID) == [within.id])
    }

    @Test func anEmptyReplyIsABadRequest() async throws {
        let (core, id, _) = try await twoChannelCustomer()
        #expect(await refused { try await core.desk.reply(to: id, body: "  \n ", inReplyTo: nil, via: nil, by: ana) }?.status == 400)
    }

    @Test func aReplyStopsTheCustomersClocks() async throws {
        let (core, id, _) = try await twoChannelCustomer()
        #expect(try await core.conversation(id).firstResponseDue != nil)
        _ = try await core.desk.reply(to: id, body: "Got it", inReplyTo: nil, via: nil, by: ana)
        #expect(try await core.conversation(id).firstResponseDue == nil)
        #expect(try await core.store.promisesDue(now: core.clock.now.addingTimeInterval(86_400), staleAfter: .seconds(60), limit: 10).isEmpty)
    }
}
