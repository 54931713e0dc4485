import SwitchboardAdapterAPI

extension AgentDesk {
    /// `route` with an address its adapter can write to. A customer whose message came without any
    /// usable sender address is filed under a placeholder the adapter cannot write to
    /// (``ChannelAdapter/canReach(_:)``); once an agent links a real address on the adapter's
    /// identity channel, replies go there (the newest such link). Without one the route is left as
    /// it is, and the adapter's ``ChannelAdapter/refusal(for:)`` tells the agent why it cannot go out.
    func reachable(_ route: ReplyRoute, through entry: RegisteredAdapter, identities: [IdentityRecord]) -> ReplyRoute {
        guard !entry.adapter.canReach(route.address), let channel = entry.identityChannel,
            let linked = identities.last(where: { $0.channel == channel && entry.adapter.canReach($0.address) })
        else { return route }
        var route = route
        route.address = linked.address
        return route
    }

    /// ``reachable(_:through:identities:)`` for a conversation whose customer is not loaded yet:
    /// read only when the route's address cannot be written to (rare).
    func reachable(_ route: ReplyRoute, through entry: RegisteredAdapter, conversation: Int64) async throws -> ReplyRoute {
        guard !entry.adapter.canReach(route.address) else { return route }
        let identities = try await store.conversationHead(conversation)?.customer.identities ?? []
        return reachable(route, through: entry, identities: identities)
    }
}
