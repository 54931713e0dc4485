import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Customer search as an agent sees it: an engine may start from the customers that match or from
/// what the agent holds; the answer is the same. (Here SQLite starts from what they hold: the
/// agents hold too little for the other side. `SQLiteCustomerSearchTests` runs both and the choice.)
extension StoreConformance {
    static let customerSearchScenarios: [StoreScenario] = [
        StoreScenario(
            "an agent's customer search answers the same for one match, a few and many, held or granted", on: agentCustomerSearchPlans),
        StoreScenario("customers last contacted at the same moment are listed newest customer first", on: customerSearchTies),
    ]

    @Sendable static func customerSearchTies(_ store: any Store) async throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        var ids: [Int64] = []
        for i in 0..<4 {
            ids.append(
                try #require(
                    try await store.ingest([said("t\(i)", from: "tie\(i)", "hola", name: "Tie \(i)", at: at)], policy: TestAgents.policy)[0]
                        .customerID))
        }
        let newestFirst = Array(ids.sorted().reversed())
        #expect(try await store.searchCustomers("tie", viewer: Viewer(TestAgents.marta), limit: 10).map(\.id) == newestFirst)
        #expect(try await store.searchCustomers("tie", viewer: Viewer(TestAgents.marta), limit: 2).map(\.id) == Array(newestFirst.prefix(2)))
    }

    @Sendable static func agentCustomerSearchPlans(_ store: any Store) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        // 48 clients and two Zoes, at distinct times: each agent ends up holding 25 (their capacity).
        var items = (0..<48).map { i in
            said("k\(i)", from: "client\(i)", "hola", name: "Cliente \(i)", at: base.addingTimeInterval(Double(i) * 60))
        }
        items.append(said("z1", from: "zoe1", "hola", name: "Zoe Uno", at: base.addingTimeInterval(48 * 60)))
        items.append(said("z2", from: "zoe2", "hola", name: "Zoe Dos", at: base.addingTimeInterval(49 * 60)))
        var holder: [Int64: String] = [:]
        var conversationOf: [Int64: Int64] = [:]
        var newestFirst: [Int64] = []
        for item in items {
            let stored = try await store.ingest([item], policy: TestAgents.policy)[0]
            let customer = try #require(stored.customerID)
            holder[customer] = try await store.access(conversation: stored.conversationID!)?.assignee
            conversationOf[customer] = stored.conversationID!
            newestFirst.insert(customer, at: 0)
        }
        let (zoeDos, zoeUno) = (newestFirst[0], newestFirst[1])
        let clients = Array(newestFirst.dropFirst(2))
        for agent in [TestAgents.ana, TestAgents.luis] {
            #expect(holder.values.filter { $0 == agent.id }.count == 25, "\(agent.id) holds a full load")
            // A Zoe the agent does not hold is shown to them by a mention.
            for zoe in [zoeUno, zoeDos] where holder[zoe] != agent.id {
                _ = try await store.note(conversation: conversationOf[zoe]!, mentioning([agent], body: "@\(agent.id) look"))
            }
        }
        let marta = Viewer(TestAgents.marta)
        #expect(try await store.searchCustomers("zoe", viewer: marta, limit: 10).map(\.id) == [zoeDos, zoeUno])
        #expect(try await store.searchCustomers("cl", viewer: marta, limit: 50).map(\.id) == clients)
        for agent in [TestAgents.ana, TestAgents.luis] {
            let viewer = Viewer(agent)
            let theirs = clients.filter { holder[$0] == agent.id }
            #expect(theirs.count >= 23)
            #expect(try await store.searchCustomers("cliente", viewer: viewer, limit: 50).map(\.id) == theirs, "\(agent.id), many match")
            #expect(
                try await store.searchCustomers("cliente", viewer: viewer, limit: 5).map(\.id) == Array(theirs.prefix(5)), "\(agent.id), a page")
            #expect(try await store.searchCustomers("cl", viewer: viewer, limit: 50).map(\.id) == theirs, "\(agent.id), shorter than a trigram")
            #expect(try await store.searchCustomers("zoe uno", viewer: viewer, limit: 10).map(\.id) == [zoeUno], "\(agent.id), one match")
            #expect(try await store.searchCustomers("zoe dos", viewer: viewer, limit: 10).map(\.id) == [zoeDos], "\(agent.id), one match")
            #expect(try await store.searchCustomers("zoe", viewer: viewer, limit: 10).map(\.id) == [zoeDos, zoeUno], "\(agent.id), two")
            // One match the agent neither holds nor was shown: not theirs to find.
            let first = clients[47]
            #expect(
                try await store.searchCustomers("cliente 0", viewer: viewer, limit: 10).map(\.id) == (holder[first] == agent.id ? [first] : []),
                "\(agent.id), one match held by someone else")
            #expect(
                try await store.searchCustomers("cliente 4", viewer: viewer, limit: 50).map(\.id)
                    == theirs.filter {
                        [4, 40, 41, 42, 43, 44, 45, 46, 47].map { clients[47 - $0] }.contains($0)
                    }, "\(agent.id), a few")
        }
        // Someone who holds nothing and was shown nothing finds nobody.
        #expect(try await store.searchCustomers("zoe", viewer: Viewer(agentID: "bea", isSupervisor: false), limit: 10).isEmpty)
        #expect(try await store.searchCustomers("cl", viewer: Viewer(agentID: "bea", isSupervisor: false), limit: 10).isEmpty)
    }
}
