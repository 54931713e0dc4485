import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// The team every store test routes to: two agents and a supervisor, one policy. Shared by the
/// store conformance suite and the engines' own tests.
public enum TestAgents {
    public static let ana = Agent(id: "ana", name: "Ana", role: .agent, teams: ["support"], capacity: 25)
    public static let luis = Agent(id: "luis", name: "Luis", role: .agent, teams: ["support"], capacity: 25)
    public static let marta = Agent(id: "marta", name: "Marta", role: .supervisor, teams: ["support"])
    public static let all = [ana, luis, marta]

    public static var policy: IngestPolicy {
        IngestPolicy(
            assignment: AssignmentPolicy(directory: AgentDirectory(agents: all)),
            teamOfAdapter: { _ in "support" }, firstResponse: { _ in .seconds(3600) }, references: testReferences)
    }
}

/// One key for every store test, so references formatted by a test match those the store wrote.
public let testKey = GatewayKey(Array(repeating: 7, count: 32))
public let testReferences = testKey.references

/// A chat message from `from`, as an adapter would hand it in.
public func inbound(
    _ id: String, from: String, text: String = "hello", adapter: String = "chat", channel: String = "chat", at: Date = Date()
) -> IngestItem {
    IngestItem(
        adapter: adapter,
        event: .message(InboundMessage(externalID: id, from: ChannelIdentity(channel: channel, address: from), customerName: nil, text: text)),
        receivedAt: at)
}

/// A mail from `from`, as the e-mail adapter would hand it in (or, with `channel` and `adapter`, a
/// message of another kind: an automated reply, a call, a missed call asking to be called back).
public func mail(
    _ id: String, from: String, channel: String = "email", text: String = "hello", kind: InboundMessage.Kind = .contact,
    references: [String] = [], callback: Bool = false, adapter: String = "mail", at: Date = Date()
) -> IngestItem {
    IngestItem(
        adapter: adapter,
        event: .message(
            InboundMessage(
                externalID: id, from: ChannelIdentity(channel: channel, address: from), text: text, kind: kind, references: references,
                requestsCallback: callback)),
        receivedAt: at)
}
