import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Swift Testing has an `Attachment` of its own.
typealias Attachment = SwitchboardAdapterAPI.Attachment

/// What one inbound message becomes: stored once, under which customer, of which kind.
extension StoreConformance {
    static let inboundScenarios: [StoreScenario] = [
        StoreScenario("the same external id is stored once, even within one batch", on: sameExternalIDIsStoredOnce),
        StoreScenario("a new customer writing twice in one batch gets the first name they gave", on: aNewCustomerGetsTheFirstNameTheyGave),
        StoreScenario("e-mail addresses and phone numbers are normalized into one customer", on: addressesAreNormalizedIntoOneCustomer),
        StoreScenario("automated mail never reopens, assigns or starts clocks, and threads only on our replies' ids", on: automatedMail),
        StoreScenario("calls by agents are events and missed calls promise a call back", on: callsAndMissedCalls),
        StoreScenario("attachments are stored with the message", on: attachmentsAreStoredWithTheMessage),
        StoreScenario("an edit changes the original and keeps what was first written", on: anEditChangesTheOriginal),
        StoreScenario("an edit of an unknown message is stored as it stands", on: anEditOfAnUnknownMessage),
        StoreScenario("with no agent configured, messages are stored, wait for someone and are found", run: storedWithNoAgentConfigured),
    ]

    /// A gateway started before anyone configured agents still takes its channels' messages. (On
    /// PostgreSQL a group reads the agents' rows and sets its transaction's settings in the same
    /// statement; with no row to read, the settings take a statement of their own: this runs it.)
    @Sendable static func storedWithNoAgentConfigured(_ maker: StoreMaker) async throws {
        try await maker.withStore(agents: []) { store in
            let policy = IngestPolicy(
                assignment: AssignmentPolicy(directory: AgentDirectory(agents: [])), teamOfAdapter: { _ in "support" },
                firstResponse: { _ in .seconds(3600) }, references: testReferences)
            let first = try await store.ingest(
                [inbound("n1", from: "nadie@x", text: "hay alguien? pedido 4471"), inbound("n2", from: "otra@x")], policy: policy)
            #expect(first.map(\.kind) == [.stored, .stored])
            let later = try await store.ingest([inbound("n3", from: "nadie@x", text: "sigo esperando")], policy: policy)
            #expect(later[0].kind == .stored)
            #expect(later[0].conversationID == first[0].conversationID)
            let detail = try #require(try await store.conversation(first[0].conversationID!))
            #expect(detail.assignee == nil)
            #expect(detail.status == .open)
            #expect(detail.messages.filter { $0.direction == .inbound }.map(\.body) == ["hay alguien? pedido 4471", "sigo esperando"])
            // The thread says why nobody has it yet.
            #expect(detail.messages.contains { $0.direction != .inbound && $0.body.contains("waiting for a supervisor") })
            let hits = try await store.searchMessages(searching("4471", as: Viewer(TestAgents.marta)))
            #expect(hits.filter { $0.kind == .message }.map(\.message) == [first[0].messageID])
        }
    }

    @Sendable static func sameExternalIDIsStoredOnce(_ store: any Store) async throws {
        let outcomes = try await store.ingest(
            [inbound("dup", from: "a@x"), inbound("dup", from: "a@x"), inbound("dup", from: "a@x", adapter: "other")],
            policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.stored, .duplicate, .stored])
        #expect(outcomes[1].messageID == outcomes[0].messageID)
        let later = try await store.ingest([inbound("dup", from: "a@x")], policy: TestAgents.policy)
        #expect(later[0].kind == .duplicate)
        let detail = try #require(try await store.conversation(outcomes[0].conversationID!))
        #expect(detail.customer.contacts == 2)
    }

    @Sendable static func aNewCustomerGetsTheFirstNameTheyGave(_ store: any Store) async throws {
        func named(_ id: String, _ name: String?) -> IngestItem {
            IngestItem(
                adapter: "chat",
                event: .message(
                    InboundMessage(externalID: id, from: ChannelIdentity(channel: "chat", address: "n@x"), customerName: name, text: "hi")),
                receivedAt: Date())
        }
        let first = try await store.ingest([named("1", nil), named("2", "Nora"), named("3", "Someone Else")], policy: TestAgents.policy)
        #expect(first.map(\.kind) == [.stored, .stored, .stored])
        #expect(Set(first.map(\.conversationID)).count == 1)
        let later = try await store.ingest([named("4", "Another Name")], policy: TestAgents.policy)
        #expect(later[0].customerID == first[0].customerID)
        let customer = try #require(try await store.customer(first[0].customerID!, now: Date()))
        #expect(customer.name == "Nora")
    }

    @Sendable static func addressesAreNormalizedIntoOneCustomer(_ store: any Store) async throws {
        let o = try await store.ingest(
            [
                inbound("1", from: "Alice@Example.com", channel: "email"),
                inbound("2", from: "alice@example.COM ", channel: "email"),
                inbound("3", from: "+34 600 123 456", channel: "phone"),
                inbound("4", from: "0034600123456", channel: "phone"),
            ], policy: TestAgents.policy)
        #expect(o[0].customerID == o[1].customerID)
        #expect(o[2].customerID == o[3].customerID)
        #expect(o[0].customerID != o[2].customerID)
        let found = try await store.searchCustomers("600 123", viewer: Viewer(TestAgents.marta), limit: 10)
        #expect(found.map(\.id) == [o[2].customerID!])
        let byMail = try await store.searchCustomers("ALICE@", viewer: Viewer(TestAgents.marta), limit: 10)
        #expect(byMail.map(\.id) == [o[0].customerID!])
    }

    @Sendable static func automatedMail(_ store: any Store) async throws {
        let first = try await store.ingest([mail("1", from: "fay@example.com")], policy: TestAgents.policy)[0]
        _ = try await store.resolve(conversation: first.conversationID!, author: "ana", at: Date())
        let ooo = try await store.ingest([mail("2", from: "fay@example.com", kind: .automated)], policy: TestAgents.policy)[0]
        #expect(ooo.kind == .stored && ooo.assignment == nil)
        let detail = try #require(try await store.conversation(first.conversationID!))
        #expect(detail.status == .resolved)
        #expect(detail.firstResponseDue == nil)
        #expect(detail.customer.contacts == 1)

        // A bounce from an unknown machine is filed in the thread of our reply it answers, not as a
        // new customer.
        let sent = try await store.ingest([mail("3", from: "fay@example.com")], policy: TestAgents.policy)[0]
        let route = try #require(try await store.replyRoute(conversation: sent.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await store.appendReply(conversation: sent.conversationID!, author: "ana", body: "Hello Fay", route: route, at: Date())
        _ = try await store.claimDeliveries(now: Date(), limit: 10, claimer: "t", leaseUntil: Date().addingTimeInterval(60))
        _ = try await store.completeDelivery(
            message: reply.id, result: .delivered(DeliveryReceipt(externalID: "sb.1.2.tag@example.com")), at: Date())
        let bounce = try await store.ingest(
            [mail("4", from: "mailer-daemon@mx.example.net", kind: .automated, references: ["sb.1.2.tag@example.com"])],
            policy: TestAgents.policy)[0]
        #expect(bounce.conversationID == sent.conversationID)
        let marta = Viewer(agentID: "marta", isSupervisor: true)
        #expect(try await store.searchCustomers("mailer-daemon", viewer: marta, limit: 10).isEmpty)
        // A machine quoting the customer's own message id (anyone copied on it knows that id) is not
        // filed in their thread: only ids of our replies count.
        let forged = try await store.ingest(
            [mail("5", from: "auto@attacker.example", kind: .automated, references: ["3"])], policy: TestAgents.policy)[0]
        #expect(forged.conversationID != sent.conversationID)
        let thread = try #require(try await store.conversation(sent.conversationID!))
        #expect(!thread.messages.contains { $0.externalID == "5" })
    }

    @Sendable static func callsAndMissedCalls(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var policy = TestAgents.policy
        policy.callbackWithin = { _ in .seconds(1800) }
        let missed = try await store.ingest(
            [mail("call-1", from: "+34600999888", channel: "phone", text: "Missed call", callback: true, adapter: "pbx", at: now)],
            policy: policy)[0]
        var detail = try #require(try await store.conversation(missed.conversationID!))
        #expect(detail.callbackDue == now.addingTimeInterval(1800))
        #expect(detail.firstResponseDue == now.addingTimeInterval(1800))  // the earlier of the two promises
        #expect(missed.related.contains { $0.body.contains("Call back promised") })

        let outgoing = try await store.ingest(
            [mail("call-2", from: "+34600999888", channel: "phone", text: "Call by ext 1001", kind: .activity, adapter: "pbx")],
            policy: policy)
        #expect(outgoing[0].message?.direction == .event)
        #expect(
            try await store.ingest(
                [mail("call-2", from: "+34600999888", channel: "phone", kind: .activity, adapter: "pbx")], policy: policy)[0].kind == .duplicate)

        _ = try #require(try await store.completeCallback(conversation: missed.conversationID!, by: "ana", at: now))
        detail = try #require(try await store.conversation(missed.conversationID!))
        #expect(detail.callbackDue == nil && detail.firstResponseDue == nil)
        #expect(detail.customer.contacts == 1)
    }

    /// A WhatsApp-like message from one phone, with `text` and `attachments`.
    static func phoneMessage(_ id: String, text: String, attachments: [Attachment] = []) -> InboundMessage {
        InboundMessage(externalID: id, from: ChannelIdentity(channel: "phone", address: "+34600000001"), text: text, attachments: attachments)
    }

    @Sendable static func attachmentsAreStoredWithTheMessage(_ store: any Store) async throws {
        let photo = Attachment(kind: "image", mimeType: "image/jpeg", platformID: "media-1", details: ["sha256": "abc"])
        let o = try await store.ingest(
            [IngestItem(adapter: "wa", event: .message(phoneMessage("w1", text: "the broken box", attachments: [photo])), receivedAt: Date())],
            policy: TestAgents.policy)
        let detail = try #require(try await store.conversation(o[0].conversationID!))
        #expect(detail.messages.first { $0.direction == .inbound }?.attachments == [photo])
    }

    @Sendable static func anEditChangesTheOriginal(_ store: any Store) async throws {
        let first = try await store.ingest(
            [IngestItem(adapter: "wa", event: .message(phoneMessage("w1", text: "helo")), receivedAt: Date())], policy: TestAgents.policy)[0]
        let edit = IngestItem(adapter: "wa", event: .edit(phoneMessage("w1", text: "hello"), editedAt: Date()), receivedAt: Date())
        let outcomes = try await store.ingest([edit, edit], policy: TestAgents.policy)
        #expect(outcomes.map(\.kind) == [.edited, .duplicate])
        #expect(outcomes[0].messageID == first.messageID)
        let detail = try #require(try await store.conversation(first.conversationID!))
        let inbound = detail.messages.filter { $0.direction == .inbound }
        #expect(inbound.count == 1)
        #expect(inbound[0].body == "hello")
        #expect(inbound[0].originalBody == "helo")
        #expect(inbound[0].editedAt != nil)
        #expect(detail.customer.contacts == 1, "an edit is not a new contact")
    }

    @Sendable static func anEditOfAnUnknownMessage(_ store: any Store) async throws {
        let o = try await store.ingest(
            [IngestItem(adapter: "wa", event: .edit(phoneMessage("never-seen", text: "edited text"), editedAt: nil), receivedAt: Date())],
            policy: TestAgents.policy)
        #expect(o[0].kind == .stored)
        #expect(o[0].message?.metadata?["edited"] == "true")
    }
}
