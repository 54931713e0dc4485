import Foundation
import SwitchboardCore
import Testing

/// The made-up history of the search benchmark: rows the tables' constraints accept.
@Suite struct HistoryGeneratorTests {
    @Test func everyCustomerGetsAnAddressOfTheirOwn() async throws {
        // As many customers as messages: random phone numbers collided at this size.
        let generator = HistoryGenerator(
            messages: 30_000, customers: 30_000, days: 30, end: Date(timeIntervalSince1970: 1_770_000_000),
            agents: [(id: "ana", team: "support")], adapters: [(id: "sms", channel: "phone"), (id: "mail", channel: "email")])
        var addresses = Set<String>()
        var identities = 0
        var messages = 0
        _ = try await generator.generate(after: HistoryStart(customer: 0, identity: 0, conversation: 0, message: 0)) { batch in
            for identity in batch.identities {
                addresses.insert("\(identity.channel) \(identity.address)")
                identities += 1
            }
            messages += batch.messages.count
        }
        #expect(messages == 30_000)
        #expect(identities > 10_000 && addresses.count == identities, "(channel, address) is unique in the identities table")
    }

    @Test func aLongThreadAndABusyAgentWhenAsked() async throws {
        var generator = HistoryGenerator(
            messages: 40_000, customers: 5_000, days: 30, end: Date(timeIntervalSince1970: 1_770_000_000),
            agents: [(id: "ana", team: "support"), (id: "luis", team: "support")], adapters: [(id: "mail", channel: "email")])
        generator.longThread = 2_000
        (generator.busyAgent, generator.busyOpen) = ("ana", 300)
        var inFirstThread = 0
        var anaOpen = 0
        var ana = 0
        _ = try await generator.generate(after: HistoryStart(customer: 0, identity: 0, conversation: 0, message: 0)) { batch in
            inFirstThread += batch.messages.filter { $0.conversation == 1 }.count
            ana += batch.conversations.filter { $0.owner == "ana" }.count
            anaOpen += batch.conversations.filter { $0.owner == "ana" && $0.assignee == "ana" && $0.status == .open }.count
        }
        #expect((2_000...2_100).contains(inFirstThread), "\(inFirstThread) messages in the long thread")
        #expect(anaOpen == 300 && ana == 300, "the busy agent has exactly the open conversations asked for")
    }
}
