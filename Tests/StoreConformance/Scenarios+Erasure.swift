import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// A customer's record and its erasure: everything personal goes in one transaction, the
/// conversations stay as anonymous records, shared files stay for whoever else sent them.
extension StoreConformance {
    static let erasureScenarios: [StoreScenario] = [
        StoreScenario("a customer's record names their addresses, merged customers, conversations and merges", on: customerRecordFacts),
        StoreScenario("erasing a customer removes names, addresses, text, metadata and unshared files, and keeps the counts", on: erasingACustomer),
        StoreScenario("an erased customer cannot be erased again, nor a merged one but through its survivor", on: erasureRefusals),
    ]

    static func named(
        _ id: String, from: String, channel: String = "email", adapter: String = "mail", name: String?, text: String,
        metadata: [String: String] = [:], attachments: [Attachment] = [], at: Date
    ) -> IngestItem {
        IngestItem(
            adapter: adapter,
            event: .message(
                InboundMessage(
                    externalID: id, from: ChannelIdentity(channel: channel, address: from), customerName: name, text: text,
                    threadRef: "thread-\(id)", metadata: metadata, attachments: attachments)),
            receivedAt: at)
    }

    @Sendable static func customerRecordFacts(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let eva = try await store.ingest([named("e1", from: "eva@example.com", name: "Eva", text: "hi", at: t0)], policy: TestAgents.policy)[0]
        let phone = try await store.ingest(
            [named("w1", from: "+34600111222", channel: "phone", adapter: "whatsapp", name: nil, text: "hola", at: t0.addingTimeInterval(60))],
            policy: TestAgents.policy)[0]
        _ = try await store.merge(
            survivor: eva.customerID!, absorbed: phone.customerID!, by: "marta", at: t0.addingTimeInterval(120), references: testReferences)
        let facts = try #require(try await store.customerRecordFacts(eva.customerID!))
        #expect(facts.name == "Eva")
        #expect(facts.absorbed == [phone.customerID!])
        #expect(Set(facts.conversations) == [eva.conversationID!, phone.conversationID!])
        #expect(Set(facts.identities.map(\.address)) == ["eva@example.com", "+34600111222"])
        #expect(facts.merges.count == 1)
        #expect(facts.merges.first?.mergedBy == "marta" && facts.merges.first?.survivor == eva.customerID!)
        #expect(facts.erasedAt == nil)
        #expect(try await store.customerRecordFacts(999_999) == nil)
        // The absorbed customer's own facts point at the survivor.
        #expect(try await store.customerRecordFacts(phone.customerID!)?.mergedInto == eva.customerID!)
    }

    @Sendable static func erasingACustomer(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let invoice = Data("%PDF eva's invoice".utf8)
        let logo = Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
        let eva = try await store.ingest(
            [
                named(
                    "e1", from: "eva@example.com", name: "Eva Erasmus", text: "My secret sentence about the order",
                    metadata: ["subject": "Order 77 for Eva"],
                    attachments: [
                        Attachment(kind: "document", mimeType: "application/pdf", fileName: "eva-passport.pdf", content: invoice),
                        Attachment(kind: "image", fileName: "logo.png", content: logo),
                    ], at: t0)
            ], policy: TestAgents.policy)[0]
        let phone = try await store.ingest(
            [
                named(
                    "w1", from: "+34600111222", channel: "phone", adapter: "whatsapp", name: "Eva E.", text: "call me on +34600111222",
                    metadata: ["profile": "Eva"], at: t0.addingTimeInterval(30))
            ], policy: TestAgents.policy)[0]
        // Someone else sends the same logo: it must survive the erasure.
        let bob = try await store.ingest(
            [
                named(
                    "b1", from: "bob@example.com", name: "Bob", text: "hello",
                    attachments: [Attachment(kind: "image", fileName: "logo.png", content: logo)],
                    at: t0.addingTimeInterval(40))
            ], policy: TestAgents.policy)[0]
        _ = try await store.merge(
            survivor: eva.customerID!, absorbed: phone.customerID!, by: "ana", at: t0.addingTimeInterval(60), references: testReferences)
        let conversation = eva.conversationID!
        _ = try await store.appendInternal(
            conversation: conversation, direction: .note, author: "ana", body: "Eva is upset", at: t0.addingTimeInterval(70))
        let route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        // A reply that bounced: the mail server's answer names the address.
        let bounced = try await store.appendReply(
            conversation: conversation, author: "ana", body: "Dear Eva, first try", route: route, at: t0.addingTimeInterval(75))
        _ = try await store.claimDeliveries(now: t0.addingTimeInterval(76), limit: 10, claimer: "g", leaseUntil: t0.addingTimeInterval(136))
        _ = try await store.completeDelivery(
            message: bounced.id, result: .failed(error: "550 5.1.1 <eva@example.com>: no such user"), at: t0.addingTimeInterval(77))
        let reply = try await store.appendReply(
            conversation: conversation, author: "ana", body: "Dear Eva, sorry", route: route, at: t0.addingTimeInterval(80))
        let reportBefore = try await store.reportSummary(since: t0.addingTimeInterval(-86400), now: t0.addingTimeInterval(90))
        let messagesBefore = try #require(try await store.conversation(conversation)).messages.count

        let trail = AuditTrail(store: store)
        try await trail.append(AuditEvent(.signIn, actor: "marta"))
        let outcome = try await CustomerErasure(store: store, now: { t0.addingTimeInterval(100) })
            .erase(eva.customerID!, reason: "asked by the customer (ticket 41)", by: "marta")
        #expect(Set(outcome.customers) == [eva.customerID!, phone.customerID!])
        #expect(Set(outcome.conversations) == [conversation, phone.conversationID!])
        #expect(outcome.identities == 2)
        #expect(outcome.cancelledDeliveries == 1)
        #expect(outcome.deletedContents == 1, "the invoice goes, the shared logo stays")
        #expect(outcome.audit.action == .customerErased && outcome.audit.actor == "marta" && outcome.audit.subject == "customer:\(eva.customerID!)")
        #expect(outcome.audit.details["reason"] == "asked by the customer (ticket 41)")
        #expect(try await trail.verify().isIntact)

        // Names, addresses, text, metadata and files: gone.
        let customer = try #require(try await store.customer(eva.customerID!, now: t0.addingTimeInterval(200)))
        #expect(customer.name == nil && customer.identities.isEmpty)
        #expect(customer.contactsByChannel == ["mail": 1, "whatsapp": 1], "the counts stay")
        #expect(try await store.customer(phone.customerID!, now: t0)?.name == nil)
        let detail = try #require(try await store.conversation(conversation))
        #expect(detail.messages.count == messagesBefore, "the messages stay as anonymous records")
        for message in detail.messages {
            #expect(message.body.isEmpty, "message \(message.id) kept its text")
            #expect(message.externalID == nil && message.originalBody == nil)
            #expect(message.metadata?["redacted"] == "erased")
            #expect(message.metadata?["subject"] == nil && message.metadata?["profile"] == nil)
            for attachment in message.attachments ?? [] {
                #expect(attachment.fileName == nil && attachment.sha256 == nil && attachment.stored == false)
            }
        }
        let cancelled = try #require(detail.messages.first { $0.id == reply.id })
        #expect(cancelled.delivery?.state == .failed && cancelled.delivery?.error == ErasurePlanner.cancelledReply)
        let bouncedAfter = try #require(detail.messages.first { $0.id == bounced.id })
        #expect(bouncedAfter.delivery?.state == .failed && bouncedAfter.delivery?.error == nil, "the bounce named the address")
        #expect(
            try await store.claimDeliveries(now: t0.addingTimeInterval(3600), limit: 10, claimer: "g", leaseUntil: t0.addingTimeInterval(4000))
                .isEmpty)
        let routeAfter = try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil)
        #expect(routeAfter == nil, "an erased customer's messages are no route for a reply")
        #expect(try await store.attachment(message: eva.messageID!, index: 0)?.content == nil)
        #expect(try await store.attachment(message: bob.messageID!, index: 0)?.content == logo, "Bob's copy of the shared logo stays")
        #expect(try await store.searchCustomers("Eva", viewer: Viewer(agentID: "marta", isSupervisor: true), limit: 10).isEmpty)
        #expect(try await store.searchCustomers("600111", viewer: Viewer(agentID: "marta", isSupervisor: true), limit: 10).isEmpty)
        let marta = Viewer(agentID: "marta", isSupervisor: true)
        #expect(try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("secret sentence"), viewer: marta)).isEmpty)
        #expect(try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("Order 77"), viewer: marta)).isEmpty, "subjects too")
        #expect(try await store.searchConversations(SearchQuery(terms: SearchTerm.parse("Erasmus"), viewer: marta)).isEmpty)
        #expect(try await store.searchConversations(SearchQuery(terms: SearchTerm.parse("eva@example.com"), viewer: marta)).isEmpty)
        #expect(try await store.searchConversations(SearchQuery(terms: SearchTerm.parse("Bob"), viewer: marta)).count == 1, "others stay findable")
        #expect(try await store.customerRecordFacts(eva.customerID!)?.merges.isEmpty == true)
        #expect(try await store.customerRecordFacts(eva.customerID!)?.erasedAt != nil)

        // Counts and reports stay true.
        let reportAfter = try await store.reportSummary(since: t0.addingTimeInterval(-86400), now: t0.addingTimeInterval(90))
        #expect(reportAfter == reportBefore)
        #expect(customer.contacts == 2)

        // The same address writing again is a new customer.
        let again = try await store.ingest(
            [named("e2", from: "eva@example.com", name: "Eva", text: "me again", at: t0.addingTimeInterval(300))], policy: TestAgents.policy)[0]
        #expect(again.customerID != eva.customerID && again.conversationID != conversation)
        // Bob is untouched.
        #expect(try await store.customer(bob.customerID!, now: t0)?.name == "Bob")
    }

    @Sendable static func erasureRefusals(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let a = try await store.ingest([named("a1", from: "a@example.com", name: "A", text: "x", at: t0)], policy: TestAgents.policy)[0]
        let b = try await store.ingest([named("b1", from: "b@example.com", name: "B", text: "y", at: t0)], policy: TestAgents.policy)[0]
        _ = try await store.merge(survivor: a.customerID!, absorbed: b.customerID!, by: "ana", at: t0, references: testReferences)
        let erasure = CustomerErasure(store: store)
        await #expect(throws: ServiceError.self) { try await erasure.erase(999_999, reason: "r", by: "marta") }
        do {
            _ = try await erasure.erase(b.customerID!, reason: "r", by: "marta")
            Issue.record("a merged customer was erased on its own")
        } catch let error as ServiceError {
            #expect(error.code == "merged_customer" && error.status == 409)
        }
        await #expect(throws: ServiceError.self) { try await erasure.erase(a.customerID!, reason: "  ", by: "marta") }
        _ = try await erasure.erase(a.customerID!, reason: "r", by: "marta")
        do {
            _ = try await erasure.erase(a.customerID!, reason: "r", by: "marta")
            Issue.record("erased twice")
        } catch let error as ServiceError {
            #expect(error.code == "already_erased")
        }
        // A refused erasure wrote nothing, not even to the audit trail.
        #expect(try await store.auditEntries(AuditQuery(action: "customer_erased")).count == 1)
    }
}
