import Metrics

/// The LMTP listener's metrics (Prometheus through swift-metrics), each made once.
final class LMTPMetrics: Sendable {
    enum Result: String, CaseIterable, Sendable {
        case stored, duplicate, rejected, deferred
        case tooLarge = "too_large"
    }

    private let deliveries: [String: [Result: Counter]]
    private let commitTimers: [String: Timer]
    /// Connections open now, all listeners together.
    let connections = Meter(label: "switchboard_lmtp_connections")
    /// Connections answered `421` at once: over `max_connections`.
    let refused = Counter(label: "switchboard_lmtp_connections_refused_total")

    init(adapters: [String]) {
        var deliveries: [String: [Result: Counter]] = [:]
        var timers: [String: Timer] = [:]
        for adapter in adapters {
            deliveries[adapter] = Dictionary(
                uniqueKeysWithValues: Result.allCases.map {
                    ($0, Counter(label: "switchboard_lmtp_deliveries_total", dimensions: [("adapter", adapter), ("result", $0.rawValue)]))
                })
            timers[adapter] = Timer(label: "switchboard_lmtp_commit_seconds", dimensions: [("adapter", adapter)], preferredDisplayUnit: .seconds)
        }
        self.deliveries = deliveries
        self.commitTimers = timers
    }

    /// One message for one adapter (however many of its recipients).
    func delivered(adapter: String, result: Result) {
        deliveries[adapter]?[result]?.increment()
    }

    func committed(adapter: String, after duration: Duration) {
        commitTimers[adapter]?.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
