import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The customer card's contacts per channel, kept as messages are stored (not read from the thread).
extension StoreConformance {
    static let contactCountScenarios: [StoreScenario] = [
        StoreScenario(
            "the customer card counts contacts per channel as they arrive, without automated replies, replies or notes",
            on: contactsPerChannel),
        StoreScenario("contacts per channel follow the messages through a merge and its undoing", on: contactsThroughMerges),
        StoreScenario("customer search finds a part of a name or an address anywhere in it, as it always did", on: customerSearchFindsParts),
        StoreScenario("customer search pages the latest contacted first, an agent's among their own only", on: customerSearchPages),
        StoreScenario("a page of the open inbox is the head of the whole inbox, promises first, for agents and supervisors", on: openInboxPages),
    ]

    @Sendable static func openInboxPages(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        // Some with a first-response promise, some without (an automated reply starts no clock),
        // at distinct times.
        for n in 0..<16 {
            let at = base.addingTimeInterval(Double((n * 7) % 16) * 60)
            _ = try await store.ingest(
                [mail("i\(n)", from: "c\(n)@example.com", kind: n % 3 == 0 ? .automated : .contact, at: at)], policy: TestAgents.policy)
        }
        let everything = try await store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), status: .all, limit: 1000))
        #expect(everything.contains { $0.firstResponseDue == nil } && everything.contains { $0.firstResponseDue != nil })
        for viewer in [Viewer(TestAgents.ana), Viewer(TestAgents.luis), Viewer(TestAgents.marta)] {
            // The whole list in every status, in the same order, without the ones not open.
            let whole = try await store.conversations(ConversationQuery(viewer: viewer, status: .all, limit: 1000)).filter { $0.status == .open }
                .map(\.id)
            #expect(whole.count >= (viewer.isSupervisor ? 8 : 3))
            for limit in [1, 3, 5, 8, 20] {
                let page = try await store.conversations(ConversationQuery(viewer: viewer, status: .open, limit: limit)).map(\.id)
                #expect(page == Array(whole.prefix(limit)), "\(viewer.agentID), \(limit)")
            }
        }
    }

    @Sendable static func customerSearchFindsParts(_ store: any Store) async throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        func named(_ id: String, _ from: String, channel: String = "email", name: String) -> IngestItem {
            IngestItem(
                adapter: "mail",
                event: .message(
                    InboundMessage(externalID: id, from: ChannelIdentity(channel: channel, address: from), customerName: name, text: "hola")),
                receivedAt: at)
        }
        let lucia = try await store.ingest([named("1", "lucia.garcia@example.com", name: "Lucía García")], policy: TestAgents.policy)[0]
        let pedro = try await store.ingest([named("2", "+34 600 123 456", channel: "phone", name: "Pedro 50% \"Pe\"")], policy: TestAgents.policy)[0]
        _ = try await store.ingest([named("3", "ana@example.org", name: "Ana")], policy: TestAgents.policy)
        let marta = Viewer(agentID: "marta", isSupervisor: true)
        func found(_ text: String) async throws -> Set<Int64> {
            Set(try await store.searchCustomers(text, viewer: marta, limit: 50).map(\.id))
        }
        #expect(try await found("arcí") == [lucia.customerID!], "inside the name")
        #expect(try await found("GARCÍA") == [lucia.customerID!], "what is typed is lowercased")
        #expect(try await found("LUCIA.GAR") == [lucia.customerID!], "inside an address, any case")
        #expect(try await found("600 12") == [pedro.customerID!], "a phone number by its digits")
        #expect(try await found("50%") == [pedro.customerID!], "special characters are plain")
        #expect(try await found("\"Pe\"") == [pedro.customerID!])
        #expect(try await found("50_") == [])
        #expect(try await found("example").count == 2)
        #expect(try await found("An").count == 1, "short needles too")
        _ = try await store.linkIdentity(
            customer: lucia.customerID!, identity: ChannelIdentity(channel: "phone", address: "+34699000111"), by: "ana", at: at)
        #expect(try await found("699000") == [lucia.customerID!], "an address linked later")
    }

    @Sendable static func contactsPerChannel(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let day: TimeInterval = 86400
        let first = try await store.ingest([mail("c1", from: "eva@example.com", at: now.addingTimeInterval(-60 * day))], policy: TestAgents.policy)[0]
        _ = try await store.ingest(
            [
                mail("c2", from: "eva@example.com", at: now.addingTimeInterval(-2 * day)),
                // The same address through another adapter of the channel: the same customer.
                mail("g1", from: "eva@example.com", adapter: "gmail", at: now.addingTimeInterval(-3600)),
                mail("auto", from: "eva@example.com", kind: .automated, at: now.addingTimeInterval(-1800)),
            ], policy: TestAgents.policy)
        let other = try await store.ingest([mail("o1", from: "bob@example.com", at: now.addingTimeInterval(-60))], policy: TestAgents.policy)[0]
        let conversation = try #require(first.conversationID)
        _ = try await store.appendInternal(conversation: conversation, direction: .note, author: "ana", body: "a note", at: now)
        let route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: conversation, author: "ana", body: "a reply", route: route, at: now)
        // A duplicate (a platform's retry) and an edit count nothing more.
        _ = try await store.ingest([mail("c2", from: "eva@example.com", at: now)], policy: TestAgents.policy)

        let eva = try #require(try await store.customer(first.customerID!, now: now))
        #expect(eva.contacts == 3)
        #expect(eva.contactsByChannel == ["mail": 2, "gmail": 1])
        #expect(eva.contactsLast30Days == 2, "c2 and g1; c1 is 60 days old, the automated reply is no contact")
        let bob = try #require(try await store.customer(other.customerID!, now: now))
        #expect(bob.contactsByChannel == ["mail": 1] && bob.contactsLast30Days == 1)
        let later = try #require(try await store.customer(first.customerID!, now: now.addingTimeInterval(29 * day)))
        #expect(later.contactsByChannel == ["mail": 2, "gmail": 1] && later.contactsLast30Days == 1)
    }

    @Sendable static func contactsThroughMerges(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let email = try await store.ingest(
            [mail("e1", from: "eva@example.com", at: base), mail("e2", from: "eva@example.com", at: base.addingTimeInterval(10))],
            policy: TestAgents.policy)[0]
        let phone = try await store.ingest(
            [mail("w1", from: "+34600123456", channel: "phone", adapter: "whatsapp", at: base.addingTimeInterval(60))], policy: TestAgents.policy)[0]
        _ = try await store.merge(
            survivor: phone.customerID!, absorbed: email.customerID!, by: "ana", at: base.addingTimeInterval(120), references: testReferences)
        #expect(try await store.customer(phone.customerID!, now: base)?.contactsByChannel == ["mail": 2, "whatsapp": 1])
        #expect(try await store.customer(email.customerID!, now: base)?.contactsByChannel == [:])
        // Arriving while merged, through the absorbed address: counted in the merged thread …
        _ = try await store.ingest([mail("e3", from: "eva@example.com", at: base.addingTimeInterval(180))], policy: TestAgents.policy)
        #expect(try await store.customer(phone.customerID!, now: base)?.contactsByChannel == ["mail": 3, "whatsapp": 1])
        // … and back with its customer when the merge is undone.
        _ = try await store.unmerge(customer: phone.customerID!, by: "marta", at: base.addingTimeInterval(240), references: testReferences)
        #expect(try await store.customer(email.customerID!, now: base)?.contactsByChannel == ["mail": 3])
        #expect(try await store.customer(phone.customerID!, now: base)?.contactsByChannel == ["whatsapp": 1])
    }

    @Sendable static func customerSearchPages(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        var customers: [(id: Int64, owner: String?)] = []
        for i in 0..<8 {
            let stored = try await store.ingest(
                [said("p\(i)", from: "garcia\(i)@example.com", "hola", name: "García \(i)", at: base.addingTimeInterval(Double(i) * 60))],
                policy: TestAgents.policy)[0]
            customers.append((stored.customerID!, try await store.access(conversation: stored.conversationID!)?.owner))
        }
        // The latest contacted first: customer 7, then 6, …
        let newestFirst = customers.reversed()
        let marta = Viewer(agentID: "marta", isSupervisor: true)
        #expect(try await store.searchCustomers("garcía", viewer: marta, limit: 3).map(\.id) == newestFirst.prefix(3).map(\.id))
        for agent in ["ana", "luis"] {
            let theirs = newestFirst.filter { $0.owner == agent }.map(\.id)
            #expect(theirs.count >= 2, "both agents own some")
            let viewer = Viewer(agentID: agent, isSupervisor: false)
            #expect(try await store.searchCustomers("garcía", viewer: viewer, limit: 2).map(\.id) == Array(theirs.prefix(2)), "\(agent)")
            #expect(try await store.searchCustomers("garcía", viewer: viewer, limit: 50).map(\.id) == theirs, "\(agent)")
        }
    }
}
