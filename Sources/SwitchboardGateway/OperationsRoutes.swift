import Foundation
import Hummingbird
import Prometheus
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
    }

    func add(to routes: Hummingbird.Router<GatewayContext>) {
        routes.get("/healthz") { _, _ in JSONResponse.make(["status": "alive"]) }
        routes.get("/readyz") { _, _ in
            var storage = "ok"
            do { try await store.checkHealth() } catch { storage = "unavailable: \(error)" }
            // An adapter in trouble is reported but does not take the gateway out of rotation: the
            // other channels still work, and its replies wait in the outbox.
            let adapterStates = Dictionary(uniqueKeysWithValues: adapters.all.map { entry in
                switch entry.adapter.state {
                case .running: (entry.adapter.id, "running")
                case .degraded(let why): (entry.adapter.id, "degraded: \(why)")
                }
            })
            let ready = storage == "ok"
            return JSONResponse.make(
                Readiness(status: ready ? "ready" : "not ready", storage: storage, adapters: adapterStates, leader: leadership.isLeader),
                status: ready ? .ok : .serviceUnavailable)
        }
        routes.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return JSONResponse.bytes(buffer, contentType: "text/plain; version=0.0.4")
        }
    }
}
