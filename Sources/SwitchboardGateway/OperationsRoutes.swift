import Foundation
import Hummingbird
import Prometheus
import SwitchboardAdapterAPI
import SwitchboardCore

/// `/healthz`, `/readyz`, `/metrics`: what a load balancer and Prometheus ask.
struct OperationsRoutes {
    let store: any StorageEngine
    let adapters: AdapterRegistry
    let registry: PrometheusCollectorRegistry
    let leadership: any Leadership

    struct Readiness: Encodable {
        var status: String
        var storage: String
        var adapters: [String: String]
        /// Whether this gateway runs the once-per-cluster work (SLA timers, background adapters);
        /// a follower is as ready as the leader for hooks and agents.
        var leader: Bool
        /// The mailboxes adapters read (IMAP) on this gateway, per adapter.
        var mailboxes: [String: [Mailbox]]
    }

    /// One mailbox in `/readyz`.
    struct Mailbox: Encodable {
        var mailbox: String
        var status: String
        /// Seconds since mail could have arrived unnoticed (0 while waiting in IDLE); absent
        /// before the mailbox was read to its end once.
        var lagSeconds: Double?
        var idle: Bool
        var pending: Int
        var uidValidity: UInt32?
        var lastUID: UInt32?

        enum CodingKeys: String, CodingKey {
            case mailbox, status, idle, pending
            case lagSeconds = "lag_seconds"
            case uidValidity = "uid_validity"
            case lastUID = "last_uid"
        }
    }

    private static func describe(_ state: AdapterState) -> String {
        switch state {
        case .running: "running"
        case .degraded(let why): "degraded: \(why)"
        }
    }

    private static var mailboxUp: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "mailbox", metricName: "up", unitName: "", helpText: "1 while the mailbox is read normally")
    }

    private static var mailboxPending: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "mailbox", metricName: "pending_messages", unitName: "",
            helpText: "Messages found in the mailbox and not yet stored")
    }

    private static var mailboxLag: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "mailbox", metricName: "lag", unitName: "seconds",
            helpText: "Seconds since mail could have arrived unnoticed (0 while waiting in IDLE)")
    }

    private static var adapterUp: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "adapter", metricName: "up", unitName: "",
            helpText: "1 while the adapter runs normally, 0 while it is degraded (see /readyz for why)")
    }

    /// Per adapter: 1 while it runs normally. Per mailbox: 1 while it reads normally, its lag,
    /// and what waits to be stored.
    private func recordMailboxMetrics(now: Date) {
        for entry in adapters.all {
            registry.makeGauge(descriptor: Self.adapterUp, labels: [("adapter", entry.adapter.id)])
                .set(entry.adapter.state == .running ? 1.0 : 0.0)
        }
        for entry in adapters.all {
            for status in entry.adapter.mailboxes {
                let dimensions = [("adapter", entry.adapter.id), ("mailbox", status.mailbox)]
                registry.makeGauge(descriptor: Self.mailboxUp, labels: dimensions).set(status.state == .running ? 1.0 : 0.0)
                registry.makeGauge(descriptor: Self.mailboxPending, labels: dimensions).set(Double(status.pending))
                if let lag = status.lagSeconds(now: now) {
                    registry.makeGauge(descriptor: Self.mailboxLag, labels: dimensions).set(lag)
                }
            }
        }
    }

    func add(to routes: Hummingbird.Router<GatewayContext>) {
        routes.get("/healthz") { _, _ in JSONResponse.make(["status": "alive"]) }
        routes.get("/readyz") { _, _ in
            var storage = "ok"
            do { try await store.checkHealth() } catch { storage = "unavailable: \(error)" }
            // An adapter in trouble is reported but does not take the gateway out of rotation: the
            // other channels still work, and its replies wait in the outbox.
            let adapterStates = Dictionary(
                uniqueKeysWithValues: adapters.all.map { entry in
                    (entry.adapter.id, Self.describe(entry.adapter.state))
                })
            let now = Date()
            var mailboxes: [String: [Mailbox]] = [:]
            for entry in adapters.all {
                let statuses = entry.adapter.mailboxes
                guard !statuses.isEmpty else { continue }
                mailboxes[entry.adapter.id] = statuses.map { status in
                    Mailbox(
                        mailbox: status.mailbox, status: Self.describe(status.state), lagSeconds: status.lagSeconds(now: now),
                        idle: status.idling, pending: status.pending, uidValidity: status.position?.uidValidity,
                        lastUID: status.position?.lastUID)
                }
            }
            let ready = storage == "ok"
            return JSONResponse.make(
                Readiness(
                    status: ready ? "ready" : "not ready", storage: storage, adapters: adapterStates, leader: leadership.isLeader,
                    mailboxes: mailboxes),
                status: ready ? .ok : .serviceUnavailable)
        }
        routes.get("/metrics") { _, _ in
            recordMailboxMetrics(now: Date())
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return JSONResponse.bytes(buffer, contentType: "text/plain; version=0.0.4")
        }
    }
}
