import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// The search index: what is found (words with or without accents, subjects, customers, tags),
/// by whom, through which filters, in which order, and that it follows every change (replies,
/// notes, edits, merges, tags, erasure) in the same transaction.
extension StoreConformance {
    static let searchScenarios: [StoreScenario] = [
        StoreScenario("search finds a message by a word, with or without its accents", on: searchFoldsAccents),
        StoreScenario("search finds e-mail subjects, replies and notes, but not events", on: searchCoversSubjectsRepliesAndNotes),
        StoreScenario("an agent finds only conversations they may read; a supervisor finds all", on: searchRespectsVisibility),
        StoreScenario("search filters by status, adapter, tag and time", on: searchFilters),
        StoreScenario("search pages newest first", on: searchPagesNewestFirst),
        StoreScenario("search finds customers by name, address and tag", on: searchFindsCustomerCards),
        StoreScenario("an edited message is found by its new words only", on: searchFollowsEdits),
        StoreScenario("a group is searchable when stored: an edit in it, its new customers, and writes after it", on: searchCoversAWholeGroup),
        StoreScenario("merged messages are found in the surviving conversation", on: searchFollowsMerges),
        StoreScenario("a forgotten conversation is out of the index until something new arrives", on: searchForgets),
        StoreScenario("an agent's search follows conversations changing hands and messages moved by a merge", on: searchFollowsHolders),
        StoreScenario(
            "groups committed before their flush are searchable once flushed, with what changed them meanwhile", on: searchAfterTheFlush),
    ]

    static func searching(_ text: String, as viewer: Viewer = Viewer(TestAgents.marta), limit: Int = 50) -> SearchQuery {
        SearchQuery(terms: SearchTerm.parse(text), viewer: viewer, limit: limit)
    }

    static func said(
        _ id: String, from: String, _ text: String, name: String? = nil, subject: String? = nil, adapter: String = "chat",
        channel: String = "chat", at: Date = Date()
    ) -> IngestItem {
        IngestItem(
            adapter: adapter,
            event: .message(
                InboundMessage(
                    externalID: id, from: ChannelIdentity(channel: channel, address: from), customerName: name, text: text,
                    metadata: subject.map { ["subject": $0] } ?? [:])),
            receivedAt: at)
    }

    @Sendable static func searchFoldsAccents(_ store: any Store) async throws {
        let truck = try await store.ingest([said("a1", from: "olga", "El camión llegó tarde a Cádiz")], policy: TestAgents.policy)[0]
        _ = try await store.ingest([said("b1", from: "pat", "Where is my parcel?")], policy: TestAgents.policy)
        for query in ["camion", "CAMIÓN", "cámion", "cadiz camion"] {
            let hits = try await store.searchMessages(searching(query))
            #expect(hits.map(\.message) == [truck.message?.id], "\(query)")
            #expect(hits.first?.body == "El camión llegó tarde a Cádiz")
            #expect(hits.first?.conversation == truck.conversationID)
            #expect(hits.first?.direction == .inbound)
            #expect(hits.first?.adapter == "chat")
        }
        #expect(try await store.searchMessages(searching("camion parcel")).isEmpty, "every word must match")
        #expect(try await store.searchMessages(searching("parcel")).count == 1)
    }

    @Sendable static func searchCoversSubjectsRepliesAndNotes(_ store: any Store) async throws {
        let mail = try await store.ingest(
            [said("m1", from: "ines@example.com", "hola", subject: "Factura pendiente", adapter: "mail", channel: "email")],
            policy: TestAgents.policy)[0]
        let conversation = try #require(mail.conversationID)
        let found = try await store.searchMessages(searching("factura"))
        #expect(found.map(\.message) == [mail.message?.id])
        #expect(found.first?.subject == "Factura pendiente")
        let route = try #require(try await store.replyRoute(conversation: conversation, inReplyTo: nil, via: nil, identityChannel: nil))
        let reply = try await store.appendReply(conversation: conversation, author: "ana", body: "La factura sale mañana", route: route, at: Date())
        let note = try await store.appendInternal(conversation: conversation, direction: .note, author: "ana", body: "Revisar el abono", at: Date())
        _ = try await store.appendInternal(conversation: conversation, direction: .event, author: nil, body: "abono escalated", at: Date())
        #expect(try await store.searchMessages(searching("manana")).map(\.message) == [reply.id])
        #expect(try await store.searchMessages(searching("abono")).map(\.message) == [note.id], "events are not indexed")
        #expect(try await store.searchMessages(searching("abono")).first?.direction == .note)
        #expect(try await store.searchMessages(searching("factura")).map(\.message) == [reply.id, mail.message?.id])
    }

    @Sendable static func searchRespectsVisibility(_ store: any Store) async throws {
        var owners: [String: Int64] = [:]
        for i in 0..<4 {
            let stored = try await store.ingest([said("v\(i)", from: "cust\(i)", "tracking number missing")], policy: TestAgents.policy)[0]
            if let owner = try await store.access(conversation: stored.conversationID!)?.owner { owners[owner] = stored.conversationID }
        }
        #expect(owners.count == 2, "both agents own customers")
        #expect(try await store.searchMessages(searching("tracking")).count == 4)
        for (agent, conversation) in owners {
            let viewer = Viewer(agentID: agent, isSupervisor: false)
            let hits = try await store.searchMessages(searching("tracking", as: viewer))
            #expect(hits.count == 2)
            #expect(hits.contains { $0.conversation == conversation })
            #expect(
                try await store.searchMessages(searching("tracking", as: viewer, limit: 500)).map(\.message) == hits.map(\.message),
                "a relevance-sized window")
            for hit in hits {
                let seen = try #require(try await store.access(conversation: hit.conversation))
                #expect(seen.owner == agent || seen.assignee == agent)
            }
        }
        let stranger = Viewer(agentID: "nobody", isSupervisor: false)
        #expect(try await store.searchMessages(searching("tracking", as: stranger)).isEmpty)
        #expect(try await store.searchMessages(searching("tracking", as: stranger, limit: 500)).isEmpty)
        #expect(try await store.searchConversations(searching("cust0", as: stranger)).isEmpty)
    }

    @Sendable static func searchFilters(_ store: any Store) async throws {
        let now = Date()
        let old = now.addingTimeInterval(-40 * 86_400)
        let a = try await store.ingest([said("f1", from: "ann", "refund please", at: old)], policy: TestAgents.policy)[0]
        let b = try await store.ingest([said("f2", from: "bob", "refund now", adapter: "sms", channel: "phone", at: now)], policy: TestAgents.policy)[
            0]
        _ = try await store.resolve(conversation: a.conversationID!, author: "ana", at: now)
        _ = try await store.addTags(conversation: b.conversationID!, tags: ["urgent"], by: "ana", at: now)
        func ids(_ tweak: (inout SearchQuery) -> Void) async throws -> [Int64?] {
            var query = searching("refund")
            tweak(&query)
            return try await store.searchMessages(query).map(\.message)
        }
        #expect(try await ids { $0.status = .resolved } == [a.message?.id])
        #expect(try await ids { $0.status = .open } == [b.message?.id])
        #expect(try await ids { $0.adapter = "sms" } == [b.message?.id])
        #expect(try await ids { $0.tag = "urgent" } == [b.message?.id])
        #expect(try await ids { $0.tag = "other" } == [])
        #expect(try await ids { $0.until = now.addingTimeInterval(-30 * 86_400) } == [a.message?.id])
        #expect(try await ids { $0.since = now.addingTimeInterval(-30 * 86_400) } == [b.message?.id])
        #expect(
            try await ids {
                $0.since = old.addingTimeInterval(-86_400)
                $0.until = old.addingTimeInterval(86_400)
            } == [a.message?.id])
    }

    @Sendable static func searchPagesNewestFirst(_ store: any Store) async throws {
        var stored: [Int64] = []
        for i in 0..<5 {
            let outcome = try await store.ingest([said("p\(i)", from: "pia", "parcel \(i) damaged")], policy: TestAgents.policy)[0]
            stored.append(try #require(outcome.message?.id))
        }
        var query = searching("damaged", limit: 2)
        var pages: [[Int64]] = []
        while true {
            let hits = try await store.searchMessages(query)
            if hits.isEmpty { break }
            pages.append(hits.compactMap(\.message))
            query.before = hits.last?.pagingID
        }
        #expect(pages == [[stored[4], stored[3]], [stored[2], stored[1]], [stored[0]]])
    }

    @Sendable static func searchFindsCustomerCards(_ store: any Store) async throws {
        let olga = try await store.ingest(
            [said("c1", from: "olga.nunez@example.com", "hi", name: "Olga Núñez", adapter: "mail", channel: "email")], policy: TestAgents.policy)[0]
        let other = try await store.ingest(
            [said("c2", from: "+34600123456", "hello", name: "Pedro", adapter: "sms", channel: "phone")], policy: TestAgents.policy)[0]
        for query in ["nunez", "Núñez olga", "olga.nunez@example.com", "example"] {
            let hits = try await store.searchConversations(searching(query))
            #expect(hits.map(\.conversation) == [olga.conversationID!], "\(query)")
            #expect(hits.first?.kind == .conversation)
            #expect(hits.first?.customer.name == "Olga Núñez")
            #expect(hits.first?.addresses == ["olga.nunez@example.com"])
        }
        #expect(try await store.searchConversations(searching("+34600123456")).map(\.conversation) == [other.conversationID!])
        // Tags and addresses added later are found; the adapter filter reads where addresses came from.
        _ = try await store.addTags(conversation: other.conversationID!, tags: ["vip"], by: "ana", at: Date())
        let vip = try await store.searchConversations(searching("vip"))
        #expect(vip.map(\.conversation) == [other.conversationID!])
        #expect(vip.first?.tags == ["vip"])
        _ = try await store.linkIdentity(
            customer: olga.customerID!, identity: ChannelIdentity(channel: "phone", address: "+34611222333"), by: "ana", at: Date())
        #expect(try await store.searchConversations(searching("+34611222333")).map(\.conversation) == [olga.conversationID!])
        var bySMS = searching("example")
        bySMS.adapter = "sms"
        #expect(try await store.searchConversations(bySMS).isEmpty)
        bySMS.adapter = "mail"
        #expect(try await store.searchConversations(bySMS).count == 1)
    }

    @Sendable static func searchFollowsEdits(_ store: any Store) async throws {
        let first = try await store.ingest([said("e1", from: "eve", "my order is blue")], policy: TestAgents.policy)[0]
        func edit(_ text: String) -> IngestItem {
            IngestItem(
                adapter: "chat",
                event: .edit(InboundMessage(externalID: "e1", from: ChannelIdentity(channel: "chat", address: "eve"), text: text), editedAt: Date()),
                receivedAt: Date())
        }
        _ = try await store.ingest([edit("my order is green")], policy: TestAgents.policy)
        #expect(try await store.searchMessages(searching("blue")).isEmpty)
        #expect(try await store.searchMessages(searching("green")).map(\.message) == [first.message?.id])
        // Edited again after that search: the second edit counts as much as the first (an engine
        // that queues edits for its index must not lose one to the queue's numbering).
        _ = try await store.ingest([edit("my order is violet")], policy: TestAgents.policy)
        #expect(try await store.searchMessages(searching("green")).isEmpty)
        #expect(try await store.searchMessages(searching("violet")).map(\.message) == [first.message?.id])
    }

    /// Engines may index an ingest group at its end (SQLite does): what the group did in between must
    /// come out as if indexed message by message, and writes after the group index as before.
    @Sendable static func searchCoversAWholeGroup(_ store: any Store) async throws {
        let edit = IngestItem(
            adapter: "chat",
            event: .edit(
                InboundMessage(externalID: "w1", from: ChannelIdentity(channel: "chat", address: "gil"), text: "my order is green"),
                editedAt: Date()),
            receivedAt: Date())
        let outcomes = try await store.ingest(
            [said("w1", from: "gil", "my order is blue", name: "Gil Moreno"), said("w2", from: "hal", "my parcel", name: "Hal Ortega"), edit],
            policy: TestAgents.policy)
        let gil = try #require(outcomes[0].conversationID)
        let hal = try #require(outcomes[1].conversationID)
        #expect(try await store.searchMessages(searching("blue")).isEmpty, "the text as the group left it")
        #expect(try await store.searchMessages(searching("green")).map(\.message) == [outcomes[0].message?.id])
        #expect(try await store.searchMessages(searching("parcel")).map(\.message) == [outcomes[1].message?.id])
        #expect(try await store.searchConversations(searching("moreno")).map(\.conversation) == [gil])
        #expect(try await store.searchConversations(searching("ortega")).map(\.conversation) == [hal])
        // After the group, a tag and a new address are indexed at once, by the ordinary path.
        _ = try await store.addTags(conversation: hal, tags: ["urgent"], by: "ana", at: Date())
        #expect(try await store.searchConversations(searching("urgent")).map(\.conversation) == [hal])
        _ = try await store.linkIdentity(
            customer: try #require(outcomes[0].customerID), identity: ChannelIdentity(channel: "phone", address: "+34699000111"), by: "ana",
            at: Date())
        #expect(try await store.searchConversations(searching("+34699000111")).map(\.conversation) == [gil])
    }

    @Sendable static func searchFollowsMerges(_ store: any Store) async throws {
        let a = try await store.ingest(
            [said("g1", from: "gus@example.com", "invoice duplicated", adapter: "mail", channel: "email")], policy: TestAgents.policy)[0]
        let b = try await store.ingest(
            [said("g2", from: "+34699000111", "invoice again", adapter: "sms", channel: "phone")], policy: TestAgents.policy)[0]
        _ = try await store.merge(survivor: a.customerID!, absorbed: b.customerID!, by: "marta", at: Date(), references: testReferences)
        let hits = try await store.searchMessages(searching("invoice"))
        #expect(Set(hits.compactMap(\.message)) == Set([a.message!.id, b.message!.id]))
        #expect(hits.allSatisfy { $0.conversation == a.conversationID })
        // The absorbed conversation is merged: never a result; its customer's address now on the survivor's card.
        let cards = try await store.searchConversations(searching("+34699000111"))
        #expect(cards.map(\.conversation) == [a.conversationID!])
    }

    @Sendable static func searchForgets(_ store: any Store) async throws {
        let kept = try await store.ingest([said("k1", from: "kim", "lost keys", name: "Kim Lee")], policy: TestAgents.policy)[0]
        let gone = try await store.ingest([said("k2", from: "kit", "lost wallet", name: "Kit Lee")], policy: TestAgents.policy)[0]
        try await store.forgetSearch(customer: gone.customerID!)
        #expect(try await store.searchMessages(searching("lost")).map(\.message) == [kept.message?.id])
        #expect(try await store.searchConversations(searching("lee")).map(\.conversation) == [kept.conversationID!])
        try await store.forgetSearch(conversation: kept.conversationID!)
        #expect(try await store.searchMessages(searching("lost")).isEmpty)
        // What arrives later is searchable again.
        let later = try await store.ingest([said("k3", from: "kit", "lost again")], policy: TestAgents.policy)[0]
        #expect(try await store.searchMessages(searching("lost")).map(\.message) == [later.message?.id])
    }

    @Sendable static func searchFollowsHolders(_ store: any Store) async throws {
        let ana = Viewer(agentID: "ana", isSupervisor: false)
        let luis = Viewer(agentID: "luis", isSupervisor: false)
        let stored = try await store.ingest([said("h1", from: "hana", "damaged blender")], policy: TestAgents.policy)[0]
        let id = try #require(stored.conversationID)
        let route = try #require(try await store.replyRoute(conversation: id, inReplyTo: nil, via: nil, identityChannel: nil))
        _ = try await store.appendReply(conversation: id, author: "ana", body: "sorry about the blender", route: route, at: Date())
        func found(_ viewer: Viewer) async throws -> Int {
            try await store.searchMessages(searching("blender", as: viewer)).count
        }
        // Both agents in turn hold it alone, then nobody: each sees it exactly while they hold it.
        for (owner, assignee) in [("ana", "ana"), ("luis", "luis"), ("ana", "luis")] as [(String?, String?)] + [(nil, nil)] {
            _ = try await store.change(conversation: id, routing: true) { state, _ in
                WorkPlanner.redistribute(state, owner: owner, assignee: assignee, reason: "test", at: Date())
            }
            #expect(
                try await found(ana) == ([owner, assignee].contains("ana") ? 2 : 0), "\(String(describing: owner)) \(String(describing: assignee))")
            #expect(
                try await found(luis) == ([owner, assignee].contains("luis") ? 2 : 0), "\(String(describing: owner)) \(String(describing: assignee))")
        }
        _ = try await store.change(conversation: id, routing: true) { state, _ in
            WorkPlanner.redistribute(state, owner: "ana", assignee: "ana", reason: "test", at: Date())
        }
        // Another customer's conversation, held by luis, merged into ana's: its message is ana's to find.
        let other = try await store.ingest([said("h2", from: "hugo", "blender again")], policy: TestAgents.policy)[0]
        let otherID = try #require(other.conversationID)
        _ = try await store.change(conversation: otherID, routing: true) { state, _ in
            WorkPlanner.redistribute(state, owner: "luis", assignee: "luis", reason: "test", at: Date())
        }
        #expect(try await found(luis) == 1)
        _ = try await store.merge(survivor: stored.customerID!, absorbed: other.customerID!, by: "marta", at: Date(), references: testReferences)
        #expect(try await found(ana) == 3)
        #expect(try await found(luis) == 0)
        // A message arriving later is indexed with the conversation's current holders.
        _ = try await store.ingest([said("h3", from: "hana", "blender still broken")], policy: TestAgents.policy)
        #expect(try await found(ana) == 4)
        #expect(try await store.searchMessages(searching("blender", as: ana, limit: 500)).count == 4, "a relevance-sized window")
    }

    /// The gateway's way (``GroupCommitter``): groups committed without waiting for the disk, then one
    /// flush before their channels get the 2xx. Engines may finish indexing at the flush (PostgreSQL
    /// does): what happened between the commit and the flush — an edit, the conversation changing
    /// hands, a tag — must come out as if indexed at once.
    @Sendable static func searchAfterTheFlush(_ store: any Store) async throws {
        let ana = Viewer(agentID: "ana", isSupervisor: false)
        let luis = Viewer(agentID: "luis", isSupervisor: false)
        let first = try await store.ingestCommittingLater(
            [said("f1", from: "ivy", "my order is blue", name: "Ivy Lozano"), said("f2", from: "joe", "a broken kettle", name: "Joe Quint")],
            policy: TestAgents.policy)
        let kettle = try #require(first[1].conversationID)
        let edit = IngestItem(
            adapter: "chat",
            event: .edit(
                InboundMessage(externalID: "f1", from: ChannelIdentity(channel: "chat", address: "ivy"), text: "my order is green"), editedAt: Date()),
            receivedAt: Date())
        _ = try await store.ingestCommittingLater([edit, said("f3", from: "joe", "the kettle leaks")], policy: TestAgents.policy)
        _ = try await store.change(conversation: kettle, routing: true) { state, _ in
            WorkPlanner.redistribute(state, owner: "luis", assignee: "luis", reason: "test", at: Date())
        }
        _ = try await store.addTags(conversation: kettle, tags: ["urgent"], by: "luis", at: Date())
        try await store.syncCommitted()
        #expect(try await store.searchConversations(searching("lozano")).map(\.conversation) == [first[0].conversationID], "a new customer's card")
        #expect(try await store.searchConversations(searching("quint urgent")).map(\.conversation) == [kettle], "with a tag added meanwhile")
        #expect(try await store.searchMessages(searching("blue")).isEmpty, "the edited text only")
        #expect(try await store.searchMessages(searching("green")).map(\.message) == [first[0].message?.id])
        #expect(try await store.searchMessages(searching("kettle", as: luis)).count == 2, "found by who holds it now")
        #expect(try await store.searchMessages(searching("kettle", as: ana)).isEmpty)
        // A later group and flush: the earlier ones stay as they were.
        _ = try await store.ingestCommittingLater([said("f4", from: "ivy", "green again")], policy: TestAgents.policy)
        try await store.syncCommitted()
        #expect(try await store.searchMessages(searching("green")).count == 2)
        #expect(try await store.searchMessages(searching("kettle")).count == 2)
    }
}
