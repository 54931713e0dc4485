import SwitchboardAdapterAPI

/// One configured adapter with the routing settings the core applies to it.
public struct RegisteredAdapter: Sendable {
    public var adapter: any ChannelAdapter
    /// The team whose agents take new customers arriving here; nil: any agent.
    public var team: String?
    /// Overrides `routing.first_response` for this adapter.
    public var firstResponse: Duration?
    /// The identity namespace this adapter sends to, for replies through it to customers who
    /// wrote elsewhere (e.g. `phone` for SMS).
    public var identityChannel: String?

    public init(adapter: any ChannelAdapter, team: String? = nil, firstResponse: Duration? = nil, identityChannel: String? = nil) {
        self.adapter = adapter
        self.team = team
        self.firstResponse = firstResponse
        self.identityChannel = identityChannel ?? adapter.identityChannel
    }
}

/// The adapters of this gateway, by id. Passed in as a value: the router never names a channel.
public struct AdapterRegistry: Sendable {
    private let entries: [String: RegisteredAdapter]
    public let ids: [String]

    public init(_ adapters: [RegisteredAdapter]) {
        self.entries = Dictionary(adapters.map { ($0.adapter.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.ids = adapters.map(\.adapter.id)
    }

    public subscript(id: String) -> RegisteredAdapter? { entries[id] }

    public var all: [RegisteredAdapter] { ids.compactMap { entries[$0] } }
}
