import ServiceLifecycle

/// Carries live events between gateways that share one database, so an agent connected to one
/// gateway sees what another ingests. The core knows nothing of how: a store-specific relay (e.g.
/// PostgreSQL `LISTEN/NOTIFY`) publishes what this gateway emits and hands what others emit to
/// ``EventBus/deliverRemote(_:)``. Delivery is best effort, like the bus itself: a missed event is
/// caught up by the agent's next fetch.
public protocol EventRelay: Sendable {
    /// Called by the bus for every event emitted here; must not block (queue it).
    func forward(_ event: SwitchboardEvent)
    /// Sends forwarded events and delivers the other gateways' events into `bus` until cancelled.
    func run(into bus: EventBus) async throws
    /// Waits (at most `timeout`) until the relay hears the other gateways; false when it did not in
    /// time. A gateway says it is ready only after this, so that an event another gateway emits right
    /// after start-up is not missed.
    func waitUntilListening(timeout: Duration) async -> Bool
}

/// Runs what a gateway among several needs — the event relay and the leader election — as one of the
/// gateway's services, so they start and stop with it. Alone (no relay, ``SoleLeader``) it just waits
/// for shutdown.
public struct ClusterService: Service {
    private let relay: (any EventRelay)?
    private let bus: EventBus
    private let leadership: any Leadership

    public init(relay: (any EventRelay)?, bus: EventBus, leadership: any Leadership) {
        self.relay = relay
        self.bus = bus
        self.leadership = leadership
    }

    public func run() async throws {
        // Never throws: a service that throws during graceful shutdown would cancel the whole group.
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let relay {
                    group.addTask { try? await relay.run(into: bus) }
                    group.addTask {
                        while !Task.isCancelled {
                            bus.announcePresence()
                            try? await Task.sleep(for: EventBus.presenceInterval)
                        }
                    }
                }
                group.addTask { try? await leadership.run() }
                await group.waitForAll()
            }
            // Nothing (left) to run: stay until the gateway stops, as a service must.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
    }
}
