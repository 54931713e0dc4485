import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// A channel's request from hook to store: what is stored (through the group committer), what is
/// deliberately not, what is refused, and the answer the channel gets.
@Suite struct InboundPipelineTests {
    let hook = InboundRequest(method: "POST", path: "/hooks/chat", body: Array("{}".utf8), receivedAt: Plans.now)

    /// The pipeline of a gateway with one adapter, `chat`, its commits published to live events.
    struct Gateway {
        let core: CoreOnMemory
        let chat: RecordingAdapter
        let committer: GroupCommitter
        let pipeline: InboundPipeline

        init() async throws {
            chat = RecordingAdapter("chat")
            core = try await CoreOnMemory(adapters: [chat])
            let notifier = IngestNotifier(events: core.events)
            committer = GroupCommitter(
                store: core.store, policy: core.policy, logger: Logger(label: "test"), onCommitted: { notifier.published($0, $1) })
            let clock = core.clock
            pipeline = InboundPipeline(adapters: core.adapters, committer: committer, now: { clock.now }, logger: Logger(label: "test"))
        }

        /// Every conversation and its messages, as a supervisor would list them.
        func threads() async throws -> [ConversationDetail] {
            var details: [ConversationDetail] = []
            for summary in try await core.store.conversations(ConversationQuery(viewer: Viewer(Staff.marta), status: .all, limit: 100)) {
                details.append(try await core.conversation(summary.id))
            }
            return details
        }

        var storedTexts: [String] {
            get async throws { try await threads().flatMap(\.messages).filter { $0.direction == .inbound }.map(\.body).sorted() }
        }
    }

    func message(_ id: String, from: String = "ann", text: String = "hello", sentAt: Date? = nil) -> InboundEvent {
        .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: from), text: text, sentAt: sentAt))
    }

    func accepted(_ reply: InboundReply) throws -> InboundAcceptance {
        guard case .accepted(let acceptance) = reply else { throw UnexpectedOutcome("the hook answered \(reply)") }
        return acceptance
    }

    @Test func messagesAreStoredAndTheAnswerNamesThem() async throws {
        let gateway = try await Gateway()
        let anaInbox = EventInbox(gateway.core.events, Viewer(Staff.ana))
        gateway.chat.willReceive([message("1", from: "ann"), message("2", from: "bob"), message("3", from: "ann", text: "and another thing")])
        let answer = try await running([gateway.committer]) { try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook)) }
        #expect(answer.stored.count == 3)
        #expect(answer.duplicates.isEmpty && answer.ignored.isEmpty)
        #expect(try await gateway.storedTexts == ["and another thing", "hello", "hello"])
        #expect(try await gateway.threads().count == 2, "Ann's two messages share a thread")
        // The agent who got Ann is told live: the new conversation and its assignment first.
        // (Published once the commit is answered, so waited for.)
        #expect(
            try await anaInbox.next(count: 4).map(\.type) == ["conversation.created", "conversation.assigned", "message.created", "message.created"])
    }

    /// An adapter that tells its platform what was stored (Telegram answers a button press) gets the
    /// request's stored events once they are durable, duplicates too, never the ignored ones; its
    /// failure changes neither the answer nor what is stored.
    @Test func whatIsStoredIsHandedToTheAdapterAfterwardsAndItsFailureChangesNothing() async throws {
        let gateway = try await Gateway()
        gateway.chat.failAfterStored()
        gateway.chat.willReceive([message("1"), .ignored(reason: .unsupportedEvent), message("2", from: "bob")])
        let (first, again) = try await running([gateway.committer]) {
            let first = try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook))
            try await eventually("the stored events are handed over") { gateway.chat.storedEvents.count == 1 }
            let again = try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook))
            try await eventually("the duplicates are handed over") { gateway.chat.storedEvents.count == 2 }
            return (first, again)
        }
        #expect(first.stored.count == 2 && first.ignoredTotal == 1)
        #expect(again.duplicates == first.stored)
        let handed = gateway.chat.storedEvents.map { events in
            events.map { event -> String in
                guard case .message(let message) = event else { return "\(event)" }
                return message.externalID
            }
        }
        #expect(handed == [["1", "2"], ["1", "2"]])
        #expect(try await gateway.storedTexts == ["hello", "hello"])
    }

    @Test func aMessageSentAgainIsAnsweredAsADuplicate() async throws {
        let gateway = try await Gateway()
        gateway.chat.willReceive([message("1")])
        let (first, again) = try await running([gateway.committer]) {
            (
                try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook)),
                try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook))
            )
        }
        #expect(again.stored.isEmpty)
        #expect(again.duplicates == first.stored)
        #expect(try await gateway.storedTexts == ["hello"])
    }

    @Test func ignoredEventsAreCountedByReasonAndNeverStored() async throws {
        let gateway = try await Gateway()
        gateway.chat.willReceive([
            .ignored(reason: .botMessage), message("1"), .ignored(reason: .unsupportedEvent), .ignored(reason: .botMessage),
            .deliveryStatus(DeliveryStatusUpdate(externalID: "never-sent", state: .delivered)),
        ])
        let answer = try await running([gateway.committer]) { try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook)) }
        #expect(answer.stored.count == 1)
        #expect(answer.statusUpdates == 0)
        #expect(
            answer.ignored == [
                IgnoredCount(reason: "bot_message", count: 2), IgnoredCount(reason: "unsupported_event", count: 1),
                IgnoredCount(reason: "status_for_unknown_message", count: 1),
            ])
        #expect(answer.ignoredTotal == 4)
        #expect(try await gateway.storedTexts == ["hello"])
    }

    @Test func aStatusReportOnOneOfOurRepliesIsCountedAndApplied() async throws {
        let gateway = try await Gateway()
        let core = gateway.core
        gateway.chat.willReceive([message("1")])
        let conversation = try await running([gateway.committer]) {
            _ = try await gateway.pipeline.receive(adapter: "chat", request: hook)
            let id = try #require(try await gateway.threads().first?.id)
            let owner = try #require(try await core.conversation(id).owner)
            let reply = try await core.desk.reply(to: id, body: "hi", inReplyTo: nil, via: nil, by: Viewer(agentID: owner, isSupervisor: false))
            _ = try await core.store.completeDelivery(
                message: reply.id, result: .delivered(DeliveryReceipt(externalID: "ext-1", state: .sent)), at: core.clock.now)
            gateway.chat.willReceive([.deliveryStatus(DeliveryStatusUpdate(externalID: "ext-1", state: .read))])
            let answer = try accepted(try await gateway.pipeline.receive(adapter: "chat", request: hook))
            #expect(answer.statusUpdates == 1)
            #expect(answer.stored.isEmpty && answer.ignored.isEmpty)
            return id
        }
        let reply = try #require(try await core.conversation(conversation).messages.first { $0.direction == .outbound })
        #expect(reply.delivery?.state == .delivered)
    }

    @Test func aNULCharacterRefusesTheWholeRequestWithA400() async throws {
        let gateway = try await Gateway()
        gateway.chat.willReceive([message("1"), message("2", text: "a\u{0}b")])
        let error = await #expect(throws: InboundError.self) {
            try await running([gateway.committer]) { try await gateway.pipeline.receive(adapter: "chat", request: hook) }
        }
        #expect(error?.status == 400)
        #expect(error?.reason.contains("NUL") == true)
        #expect(try await gateway.threads().isEmpty, "nothing of the request is stored")
    }

    @Test func anImplausibleSendingTimeRefusesTheRequestWithA400() async throws {
        let gateway = try await Gateway()
        gateway.chat.willReceive([message("1", sentAt: Plans.now.addingTimeInterval(3 * 86_400))])
        let error = await #expect(throws: InboundError.self) {
            try await running([gateway.committer]) { try await gateway.pipeline.receive(adapter: "chat", request: hook) }
        }
        #expect(error?.status == 400)
        #expect(error?.reason.contains("not a time a message was sent") == true)
        #expect(try await gateway.threads().isEmpty)
    }

    @Test func aBackgroundAdaptersUnstorableEventIsLeftOutAndTheRestStored() async throws {
        let gateway = try await Gateway()
        let acknowledgements = try await running([gateway.committer]) {
            try await gateway.pipeline.store([message("1"), message("2", text: "a\u{0}b"), message("3", from: "bob")], adapter: "chat")
        }
        #expect(acknowledgements.count == 3)
        #expect(acknowledgements[1] == .ignored)
        #expect(acknowledgements.filter { if case .stored = $0 { true } else { false } }.count == 2)
        #expect(try await gateway.storedTexts == ["hello", "hello"])
    }

    @Test func anUnknownAdapterIsNotFound() async throws {
        let gateway = try await Gateway()
        let error = await #expect(throws: ServiceError.self) { try await gateway.pipeline.receive(adapter: "fax", request: hook) }
        #expect(error?.status == 404)
    }
}

/// The other addresses a channel names for a sender are linked to the customer once, after the message is stored.
@Suite struct IdentityJoinerTests {
    @Test func aSecondAddressOfTheSenderIsLinkedOnceAndAnotherCustomersIsLeftAlone() async throws {
        let chat = RecordingAdapter("chat")
        let core = try await CoreOnMemory(adapters: [chat])
        let committer = GroupCommitter(store: core.store, policy: core.policy, logger: Logger(label: "test"))
        var pipeline = InboundPipeline(adapters: core.adapters, committer: committer, now: { core.clock.now }, logger: Logger(label: "test"))
        pipeline.identityJoiner = IdentityJoiner(store: core.store, events: core.events, logger: Logger(label: "test"), now: { core.clock.now })
        let hook = InboundRequest(method: "POST", path: "/hooks/chat", body: Array("{}".utf8), receivedAt: Plans.now)

        // Someone else already holds US.2.
        let other = try await core.receive("o1", from: "US.2", channel: "whatsapp-user")
        func message(_ id: String, from: String, also: [String]) -> InboundEvent {
            var m = InboundMessage(externalID: id, from: ChannelIdentity(channel: "phone", address: from), text: "hi")
            m.alsoKnownAs = also.map { ChannelIdentity(channel: "whatsapp-user", address: $0) }
            return .message(m)
        }
        let (answer, _) = try await running([committer]) {
            chat.willReceive([message("1", from: "+34600", also: ["US.1"]), message("2", from: "+34600", also: ["US.1"])])
            let answer = try await pipeline.receive(adapter: "chat", request: hook)
            chat.willReceive([message("3", from: "+34601", also: ["US.2"])])
            return (answer, try await pipeline.receive(adapter: "chat", request: hook))
        }
        guard case .accepted(let accepted) = answer, let first = accepted.stored.first else { throw UnexpectedOutcome("not stored: \(answer)") }
        let conversation = try #require(try await core.store.access(message: first))
        let detail = try await core.conversation(conversation.id)
        let identities = detail.customer.identities.map { "\($0.channel):\($0.address)" }.sorted()
        #expect(identities == ["phone:+34600", "whatsapp-user:US.1"])
        #expect(detail.messages.filter { $0.body.contains("linked whatsapp-user US.1") }.count == 1, "linked once, said once")

        let theirs = try await core.conversation(other.conversation.id)
        #expect(theirs.customer.identities.map(\.address) == ["US.2"], "another customer's address is not taken")
    }
}
