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
    /// Whether new requests through it are acknowledged (nil: `routing.acknowledge`), and with what text.
    public var acknowledge: Bool?
    public var acknowledgement: String?
    /// How soon a missed call through it must be called back (nil: the gateway's default).
    public var callbackWithin: Duration?
    /// Override `routing.next_response` and `routing.resolution` for this adapter.
    public var nextResponse: Duration?
    public var resolution: Duration?

    public init(
        adapter: any ChannelAdapter, team: String? = nil, firstResponse: Duration? = nil, identityChannel: String? = nil,
        acknowledge: Bool? = nil, acknowledgement: String? = nil, callbackWithin: Duration? = nil,
        nextResponse: Duration? = nil, resolution: Duration? = nil
    ) {
        self.nextResponse = nextResponse
        self.resolution = resolution
        self.acknowledge = acknowledge
        self.acknowledgement = acknowledgement
        self.callbackWithin = callbackWithin
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
