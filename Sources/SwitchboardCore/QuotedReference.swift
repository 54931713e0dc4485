import SwitchboardAdapterAPI

/// The earlier message an inbound message answers, as a store found it by the channel's ids.
public struct AnsweredMessage: Sendable, Equatable {
    public var message: Int64
    public var conversation: Int64
    public var customer: Int64
    /// One of our replies (matched by the id we sent it with, which carries an unguessable tag), not
    /// a customer's message (whose id anyone who saw it can quote).
    public var ours: Bool

    public init(message: Int64, conversation: Int64, customer: Int64, ours: Bool) {
        self.message = message
        self.conversation = conversation
        self.customer = customer
        self.ours = ours
    }
}

/// Where a reference quoted by a customer is looked for.
public enum QuotedReference {
    /// The conversation whose reference the message quotes in its subject or its first lines.
    public static func find(in message: InboundMessage, references: ConversationReferences) -> Int64? {
        let places = [message.metadata["subject"].map { Substring($0) }, Substring(message.text.prefix(2000))].compactMap { $0 }
        return places.lazy.compactMap(references.find(in:)).first
    }

    /// The thread event that suggests a merge to the agent, and says why nothing was joined.
    public static func suggestion(
        quoted: (conversation: Int64, customer: Int64), newCustomer: Int64, identity: ChannelIdentity, references: ConversationReferences
    ) -> String {
        "This message quotes \(references.format(quoted.conversation)), customer \(quoted.customer)'s conversation, from \(identity.channel) \(identity.address), an address not known for that customer. It was not joined to them: anyone can quote a reference. If they are the same person, merge customer \(newCustomer) into customer \(quoted.customer)."
    }
}
