import Foundation
import SwitchboardAdapterAPI

/// Someone the customer wrote with (a colleague in an e-mail's `To`/`Cc`): recorded per
/// conversation as mail arrives, copied on replies, and when they write into the thread
/// themselves, their mail joins it (``InboundPlanner``).
public struct ConversationParticipant: Sendable, Codable, Equatable {
    /// The channel of the address (`email`).
    public var channel: String
    public var address: String
    /// When a message first named them.
    public var addedAt: Date

    enum CodingKeys: String, CodingKey {
        case channel, address
        case addedAt = "added_at"
    }

    public init(channel: String, address: String, addedAt: Date) {
        self.channel = channel
        self.address = address
        self.addedAt = addedAt
    }
}

extension InboundMessage {
    /// The metadata key under which an adapter lists the other people a message was addressed to
    /// (comma-separated addresses on the message's channel; the e-mail adapter's reply-all).
    public static let participantsKey = "participants"

    /// The other people this message was addressed to, as the adapter listed them.
    public var participants: [String] {
        guard let list = metadata[Self.participantsKey] else { return [] }
        return list.split(separator: ",").map { String($0).trimmed.lowercased() }.filter { !$0.isEmpty }
    }
}
