import Foundation
import SwitchboardAdapterAPI

/// One conversation as rules and SLA policies see it: the row, its tags, who the customer is, and
/// the message in question (see ``ConversationFactsStore``).
public struct ConversationFacts: Sendable, Equatable {
    public var state: ConversationState
    public var tags: [String]
    public var customerName: String?
    /// The customer's inbound contacts in total (1: this is their first).
    public var contacts: Int
    public var identities: [IdentityRecord]
    /// The message asked for, else the customer's latest inbound message (nil: none yet).
    public var message: MessageRecord?

    public init(
        state: ConversationState, tags: [String], customerName: String?, contacts: Int, identities: [IdentityRecord], message: MessageRecord?
    ) {
        self.state = state
        self.tags = tags
        self.customerName = customerName
        self.contacts = contacts
        self.identities = identities
        self.message = message
    }

    /// The keys context providers look the customer up by.
    public var contextKeys: CustomerKeys {
        CustomerKeys(
            customerID: state.customerID, name: customerName,
            emails: identities.filter { $0.channel == "email" }.map(\.address),
            phones: identities.filter { $0.channel == "phone" }.map(\.address),
            identities: identities.map { ChannelIdentity(channel: $0.channel, address: $0.address) })
    }

    /// What an SLA policy is chosen by, with `context` (fetched or cached) and the conversation's priority.
    public func slaFacts(context: [String: JSONValue], priority: Priority? = nil) -> SLAFacts {
        SLAFacts(priority: priority ?? state.priority, adapter: message?.adapter, channel: message?.channel, context: context)
    }
}
