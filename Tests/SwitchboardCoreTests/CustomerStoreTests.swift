import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import SwitchboardSQLite
import Testing

/// Identity, merges and their undo, threading by references, and the kinds of inbound message.
@Suite struct CustomerStoreTests {
    func message(
        _ id: String, from: String, channel: String = "email", text: String = "hello", kind: InboundMessage.Kind = .contact,
        references: [String] = [], metadata: [String: String] = [:], callback: Bool = false, adapter: String = "mail", at: Date = Date()
    ) -> IngestItem {
        IngestItem(
            adapter: adapter,
            event: .message(InboundMessage(
                externalID: id, from: ChannelIdentity(channel: channel, address: from), text: text, metadata: metadata, kind: kind,
                references: references, requestsCallback: callback)),
            receivedAt: at)
    }

    @Test func mergeMakesOneThreadInTimeOrderAndUnmergeRestoresBoth() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let email = try await t.store.ingest([message("e1", from: "eva@example.com", at: base)], policy: TestAgents.policy)[0]
        let phone = try await t.store.ingest(
            [message("w1", from: "+34600123456", channel: "phone", adapter: "whatsapp", at: base.addingTimeInterval(60))],
            policy: TestAgents.policy)[0]
        #expect(email.customerID != phone.customerID)
        #expect(email.owner != phone.owner)  // two agents, least-loaded each time

        let merged = try await t.store.merge(survivor: phone.customerID!, absorbed: email.customerID!, by: "ana", at: base.addingTimeInterval(120), references: testReferences)
        #expect(merged.absorbed.status == .merged)
        #expect(merged.survivor.owner == email.owner)  // the earlier conversation's owner keeps the customer
        let thread = try #require(try await t.store.conversation(phone.conversationID!))
        #expect(thread.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["e1", "w1"])
        #expect(thread.messages.last?.body.contains("merged customer \(email.customerID!)") == true)
        #expect(Set(thread.customer.identities.map(\.address)) == ["eva@example.com", "+34600123456"])
        #expect(thread.customer.contacts == 2)
        #expect(thread.customer.contactsByChannel == ["mail": 1, "whatsapp": 1])

        // Arriving after the merge through the absorbed address: into the merged thread …
        let later = try await t.store.ingest(
            [message("e2", from: "EVA@example.com", at: base.addingTimeInterval(180))], policy: TestAgents.policy)[0]
        #expect(later.conversationID == phone.conversationID)

        // … and back with its customer when the merge is undone.
        _ = try await t.store.unmerge(customer: phone.customerID!, by: "marta", at: base.addingTimeInterval(240), references: testReferences)
        let restoredEmail = try #require(try await t.store.conversation(email.conversationID!))
        let restoredPhone = try #require(try await t.store.conversation(phone.conversationID!))
        #expect(restoredEmail.status == .open)
        #expect(restoredEmail.owner == email.owner)
        #expect(restoredEmail.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["e1", "e2"])
        #expect(restoredPhone.messages.filter { $0.direction == .inbound }.map(\.externalID) == ["w1"])
        #expect(restoredPhone.owner == phone.owner)
        #expect(restoredEmail.customer.identities.map(\.address) == ["eva@example.com"])
        #expect(restoredEmail.customer.contacts == 2)
        let loads = try await t.store.agentLoads()
        #expect(loads.values.map(\.openAssigned).reduce(0, +) == 2)

        await #expect(throws: ServiceError.self) { try await t.store.unmerge(customer: phone.customerID!, by: "marta", at: Date(), references: testReferences) }
    }

    @Test func linkingAnIdentityThatBelongsToAnotherCustomerIsAConflict() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let a = try await t.store.ingest([message("1", from: "a@x.org")], policy: TestAgents.policy)[0]
        let b = try await t.store.ingest([message("2", from: "b@x.org")], policy: TestAgents.policy)[0]
        _ = try await t.store.linkIdentity(
            customer: a.customerID!, identity: ChannelIdentity(channel: "phone", address: "+15550100"), by: "ana", at: Date())
        let call = try await t.store.ingest([message("3", from: "+15550100", channel: "phone", adapter: "pbx")], policy: TestAgents.policy)[0]
        #expect(call.conversationID == a.conversationID)
        do {
            _ = try await t.store.linkIdentity(
                customer: a.customerID!, identity: ChannelIdentity(channel: "email", address: "b@x.org"), by: "ana", at: Date())
            Issue.record("linking another customer's address must fail")
        } catch let error as ServiceError {
            // The store names no customer: an agent must not learn whose address it is (the desk
            // tells a supervisor).
            #expect(error.status == 409 && error.code == "identity_taken")
            #expect(error.message.contains("another customer") && !error.message.contains("\(b.customerID!)"))
        }
    }

    @Test func repliesThreadByReferencesAndStrangersGetASuggestionNotTheThread() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([message("<m1@client>", from: "carla@example.com")], policy: TestAgents.policy)[0]
        let reply = try await t.store.ingest(
            [message("<m2@client>", from: "carla@example.com", references: ["<m1@client>"])], policy: TestAgents.policy)[0]
        #expect(reply.conversationID == first.conversationID)
        #expect(reply.message?.inReplyTo == first.messageID)

        // A colleague answering in the same mail thread starts their own conversation, with a suggested merge.
        let colleague = try await t.store.ingest(
            [message("<m3@client>", from: "boss@example.com", references: ["<m2@client>", "<m1@client>"])], policy: TestAgents.policy)[0]
        #expect(colleague.conversationID != first.conversationID)
        #expect(colleague.related.contains { $0.body.contains("merge customer \(colleague.customerID!) into customer \(first.customerID!)") })
    }

    @Test func aNewAddressQuotingAReferenceOnlySuggestsAMerge() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([message("1", from: "dan@example.com")], policy: TestAgents.policy)[0]
        let ref = testReferences.format(first.conversationID!)
        // A stranger quoting Dan's reference gets a conversation of their own, with a suggestion the
        // agent confirms; Dan's identities and reply routes do not change.
        let sms = try await t.store.ingest(
            [message("2", from: "+34611000111", channel: "phone", text: "hi, about \(ref.lowercased()) — any news?", adapter: "sms")],
            policy: TestAgents.policy)[0]
        #expect(sms.conversationID != first.conversationID)
        #expect(sms.customerID != first.customerID)
        #expect(sms.related.contains {
            $0.direction == .event && $0.body.contains(ref) && $0.body.contains("merge customer \(sms.customerID!) into customer \(first.customerID!)")
        })
        let dan = try #require(try await t.store.conversation(first.conversationID!))
        #expect(dan.customer.identities.map(\.address) == ["dan@example.com"])
        let route = try await t.store.replyRoute(conversation: first.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil)
        #expect(route?.address == "dan@example.com")
        // The number alone, or a wrong check part, is no reference at all.
        let guessed = "SB-\(String(format: "%06d", first.conversationID!))"
        for (i, text) in ["re \(guessed)", "re \(guessed)-AAAAA"].enumerated() {
            let other = try await t.store.ingest([message("g\(i)", from: "guess\(i)@example.com", text: text)], policy: TestAgents.policy)[0]
            #expect(other.related.allSatisfy { !$0.body.contains("quotes") })
        }
        // A known customer quoting someone else's reference stays themselves.
        let eve = try await t.store.ingest([message("3", from: "eve@example.com")], policy: TestAgents.policy)[0]
        let other = try await t.store.ingest([message("4", from: "eve@example.com", text: "re \(ref)")], policy: TestAgents.policy)[0]
        #expect(other.conversationID == eve.conversationID)
        #expect(other.related.allSatisfy { !$0.body.contains("quotes") })
    }

    @Test func automatedMailNeverReopensAssignsOrStartsClocks() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let first = try await t.store.ingest([message("1", from: "fay@example.com")], policy: TestAgents.policy)[0]
        _ = try await t.store.resolve(conversation: first.conversationID!, author: "ana", at: Date())
        let ooo = try await t.store.ingest([message("2", from: "fay@example.com", kind: .automated)], policy: TestAgents.policy)[0]
        #expect(ooo.kind == .stored && ooo.assignment == nil)
        let detail = try #require(try await t.store.conversation(first.conversationID!))
        #expect(detail.status == .resolved)
        #expect(detail.firstResponseDue == nil)
        #expect(detail.customer.contacts == 1)

        // A bounce from an unknown machine is filed in the thread of our reply it answers, not as a
        // new customer.
        let sent = try await t.store.ingest([message("3", from: "fay@example.com")], policy: TestAgents.policy)[0]
        let route = try #require(try await t.store.replyRoute(conversation: sent.conversationID!, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await t.store.appendReply(conversation: sent.conversationID!, author: "ana", body: "Hello Fay", route: route, at: Date())
        _ = try await t.store.claimDeliveries(now: Date(), limit: 10, claimer: "t", leaseUntil: Date().addingTimeInterval(60))
        _ = try await t.store.completeDelivery(
            message: reply.id, result: .delivered(DeliveryReceipt(externalID: "sb.1.2.tag@example.com")), at: Date())
        let bounce = try await t.store.ingest(
            [message("4", from: "mailer-daemon@mx.example.net", kind: .automated, references: ["sb.1.2.tag@example.com"])],
            policy: TestAgents.policy)[0]
        #expect(bounce.conversationID == sent.conversationID)
        let marta = Viewer(agentID: "marta", isSupervisor: true)
        #expect(try await t.store.searchCustomers("mailer-daemon", viewer: marta, limit: 10).isEmpty)
        // A machine quoting the customer's own message id (anyone copied on it knows that id) is not
        // filed in their thread: only ids of our replies count.
        let forged = try await t.store.ingest(
            [message("5", from: "auto@attacker.example", kind: .automated, references: ["3"])], policy: TestAgents.policy)[0]
        #expect(forged.conversationID != sent.conversationID)
        let thread = try #require(try await t.store.conversation(sent.conversationID!))
        #expect(!thread.messages.contains { $0.externalID == "5" })
    }

    @Test func callsByAgentsAreEventsAndMissedCallsPromiseACallBack() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var policy = TestAgents.policy
        policy.callbackWithin = { _ in .seconds(1800) }
        let missed = try await t.store.ingest(
            [message("call-1", from: "+34600999888", channel: "phone", text: "Missed call", callback: true, adapter: "pbx", at: now)],
            policy: policy)[0]
        var detail = try #require(try await t.store.conversation(missed.conversationID!))
        #expect(detail.callbackDue == now.addingTimeInterval(1800))
        #expect(detail.firstResponseDue == now.addingTimeInterval(1800))  // the earlier of the two promises
        #expect(missed.related.contains { $0.body.contains("Call back promised") })

        let outgoing = try await t.store.ingest(
            [message("call-2", from: "+34600999888", channel: "phone", text: "Call by ext 1001", kind: .activity, adapter: "pbx")],
            policy: policy)
        #expect(outgoing[0].message?.direction == .event)
        #expect(try await t.store.ingest(
            [message("call-2", from: "+34600999888", channel: "phone", kind: .activity, adapter: "pbx")], policy: policy)[0].kind == .duplicate)

        _ = try #require(try await t.store.completeCallback(conversation: missed.conversationID!, by: "ana", at: now))
        detail = try #require(try await t.store.conversation(missed.conversationID!))
        #expect(detail.callbackDue == nil && detail.firstResponseDue == nil)
        #expect(detail.customer.contacts == 1)
    }

    @Test func acknowledgementsGoOutOncePerRequestAndKeepTheClockRunning() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        var policy = TestAgents.policy
        policy.acknowledgement = AcknowledgementPolicy(
            enabled: true, quietPeriod: .seconds(600), template: { _, _ in "Hi {customer}, {owner} answers by {due}. Ref {reference}." },
            agent: { id in (id == "ana" ? "Ana García" : "Luis Pérez", TimeZone.gmt) })
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await t.store.ingest(
            [IngestItem(adapter: "mail", event: .message(InboundMessage(
                externalID: "1", from: ChannelIdentity(channel: "email", address: "gil@example.com"), customerName: "Gil Moreno", text: "help")),
                receivedAt: now)], policy: policy)[0]
        #expect(first.queuedAcknowledgement)
        let ack = try #require(first.related.first { $0.direction == .outbound })
        #expect(ack.body.hasPrefix("Hi Gil, "))
        #expect(ack.body.contains(testReferences.format(first.conversationID!)))
        #expect(ack.body.contains(first.owner == "ana" ? "Ana García" : "Luis Pérez"))
        #expect(ack.author == "switchboard")
        let claimed = try await t.store.claimDeliveries(now: now, limit: 10, claimer: "t", leaseUntil: now.addingTimeInterval(60))
        #expect(claimed.map(\.purpose) == [.acknowledgement])
        #expect(claimed.first?.inReplyToExternalID == "1")
        #expect(try await t.store.conversation(first.conversationID!)?.firstResponseDue != nil)

        let second = try await t.store.ingest([message("2", from: "gil@example.com", at: now.addingTimeInterval(30))], policy: policy)[0]
        #expect(!second.queuedAcknowledgement)
        _ = try await t.store.resolve(conversation: first.conversationID!, author: "ana", at: now.addingTimeInterval(60))
        let quick = try await t.store.ingest([message("3", from: "gil@example.com", at: now.addingTimeInterval(90))], policy: policy)[0]
        #expect(!quick.queuedAcknowledgement)  // reopened, but the customer wrote minutes ago
        _ = try await t.store.resolve(conversation: first.conversationID!, author: "ana", at: now.addingTimeInterval(100))
        let days = try await t.store.ingest([message("4", from: "gil@example.com", at: now.addingTimeInterval(86400))], policy: policy)[0]
        #expect(days.queuedAcknowledgement)
        let auto = try await t.store.ingest(
            [message("5", from: "new@example.com", kind: .automated, at: now.addingTimeInterval(86400))], policy: policy)[0]
        #expect(!auto.queuedAcknowledgement)
    }
}
