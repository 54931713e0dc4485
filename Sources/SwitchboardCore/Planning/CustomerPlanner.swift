import Foundation
import SwitchboardAdapterAPI

/// The rules of changing who a customer is.
public enum CustomerPlanner {
    /// An agent adds an address to a customer: refused when the customer is gone (merged) or the
    /// address is someone's already. Whose it is only a supervisor is told: an agent must not learn
    /// other agents' customers from a refusal.
    public static func link(
        _ identity: ChannelIdentity, to customer: Int64, conversation: ConversationState?, holder: Int64?, by agent: String,
        revealHolder: Bool, at now: Date
    ) throws -> PlannedMessage {
        guard conversation != nil else { throw ServiceError.notFound("customer \(customer)") }
        if let holder {
            if holder == customer {
                throw ServiceError(
                    status: 409, code: "already_linked", message: "\(identity.channel) \(identity.address) already belongs to customer \(customer)")
            }
            throw ServiceError(
                status: 409, code: "identity_taken",
                message: revealHolder
                    ? "\(identity.channel) \(identity.address) belongs to customer \(holder); merge customer \(holder) into customer \(customer) instead"
                    : "\(identity.channel) \(identity.address) already belongs to another customer")
        }
        return .event("\(agent) linked \(identity.channel) \(identity.address) to this customer", author: agent, at: now)
    }
}
