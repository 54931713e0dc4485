import Foundation

/// What the gateway knows that identifies a customer to the business's own systems.
public struct CustomerKeys: Sendable, Equatable {
    public var customerID: Int64
    public var name: String?
    /// Every e-mail address and E.164 phone number of the customer, oldest first.
    public var emails: [String]
    public var phones: [String]
    public var identities: [ChannelIdentity]

    public init(customerID: Int64, name: String?, emails: [String], phones: [String], identities: [ChannelIdentity]) {
        self.customerID = customerID
        self.name = name
        self.emails = emails
        self.phones = phones
        self.identities = identities
    }
}

/// A source of customer data shown beside the conversation (orders, payments, a CRM record),
/// added the same way as a channel adapter: a type, a factory, a config section. The gateway calls
/// it off the ingestion path, caches what it answers, and shows a failure as such.
public protocol ContextProvider: Sendable {
    /// The configured id; the data appears under `customer.context.<id>`.
    var id: String { get }
    /// The longest a fetch may take before the view reports a timeout.
    var timeout: Duration { get }
    /// How long an answer is shown without fetching again.
    var cacheFor: Duration { get }
    /// The customer's data as JSON; throws with a reason worth showing to an agent.
    func fetch(_ customer: CustomerKeys) async throws -> JSONValue
}

/// Builds context providers of one `type:` from their `context_providers:` entry.
public protocol ContextProviderFactory: Sendable {
    var type: String { get }
    func makeProvider(id: String, config: ConfigSection, context: AdapterContext) throws -> any ContextProvider
}

/// A fetch that failed, with the reason an agent sees.
public struct ContextFetchError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
