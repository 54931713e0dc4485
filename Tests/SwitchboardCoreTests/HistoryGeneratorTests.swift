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
}
