import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SwitchboardAdapterAPI

/// Runs the background work of every ``BackgroundChannelAdapter``. Polling a mailbox or tailing a
/// CDR file is once-per-cluster work: with several gateways on one database only the elected one
/// does it (``BackgroundChannelAdapter/runsOnLeaderOnly``); it starts when the role is gained, is
/// cancelled as soon as it is lost, and starts again on whichever gateway gains it next (which may
/// read again what the old one read: ingestion stores each external id once). A failing adapter is restarted with
/// backoff and never takes the gateway or another adapter down with it.
public struct AdapterRunner: Service {
    private let adapters: [any BackgroundChannelAdapter]
    private let sink: any InboundSink
    private let leadership: any Leadership
    private let logger: Logger

    public init(adapters: AdapterRegistry, sink: any InboundSink, leadership: any Leadership = SoleLeader(), logger: Logger) {
        self.adapters = adapters.all.compactMap { $0.adapter as? any BackgroundChannelAdapter }
        self.sink = sink
        self.leadership = leadership
        self.logger = logger
    }

    public func run() async throws {
        if !adapters.isEmpty {
            await cancelWhenGracefulShutdown {
                for adapter in adapters { Self.runningGauge(adapter).record(0) }
                await withDiscardingTaskGroup { group in
                    for adapter in adapters where !adapter.runsOnLeaderOnly {
                        group.addTask { await supervise(adapter) }
                    }
                    let onLeader = adapters.filter(\.runsOnLeaderOnly)
                    if !onLeader.isEmpty { group.addTask { await runWhileLeading(onLeader) } }
                }
            }
        }
        // A service that returns early would shut the whole gateway down: with no background
        // adapters (or once they stopped for shutdown) wait for the shutdown itself.
        try? await gracefulShutdown()
    }

    /// Starts the adapters each time this gateway becomes the leader and cancels them as soon as
    /// it is no longer, until cancelled.
    private func runWhileLeading(_ onLeader: [any BackgroundChannelAdapter]) async {
        while !Task.isCancelled {
            await leadership.wait(untilLeading: true)
            if Task.isCancelled { return }
            await withTaskGroup(of: Void.self) { group in
                for adapter in onLeader {
                    group.addTask { await supervise(adapter) }
                }
                // The adapters run until cancelled: the first child to end is this one, when the
                // role is lost (or the gateway stops).
                group.addTask { await leadership.wait(untilLeading: false) }
                await group.next()
                if !Task.isCancelled { logger.notice("no longer the leader: stopping the background adapters") }
                group.cancelAll()
            }
        }
    }

    /// Exported so an operator sees which gateway runs an adapter, and a crash-looping one,
    /// without reading logs: 1 while it runs here, 0 on the other gateways.
    private static func runningGauge(_ adapter: any BackgroundChannelAdapter) -> Gauge {
        Gauge(label: "switchboard_adapter_running", dimensions: [("adapter", adapter.id)])
    }

    private func supervise(_ adapter: any BackgroundChannelAdapter) async {
        let running = Self.runningGauge(adapter)
        let restarts = Counter(label: "switchboard_adapter_restarts_total", dimensions: [("adapter", adapter.id)])
        defer { running.record(0) }
        var failures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            running.record(1)
            do {
                try await adapter.run(sink: sink)
                if Task.isCancelled { return }
                logger.warning("adapter stopped by itself; restarting", metadata: ["adapter": "\(adapter.id)"])
            } catch {
                // Stopped (shutdown, or the role moved away): whatever it threw on the way out is no failure.
                if Task.isCancelled || error is CancellationError { return }
                logger.error("adapter failed; restarting", metadata: ["adapter": "\(adapter.id)", "error": "\(error)"])
            }
            running.record(0)
            restarts.increment()
            // A run that lasted a while resets the backoff: only repeated quick failures slow down.
            failures = ContinuousClock.now - started > .seconds(60) ? 1 : failures + 1
            let wait = min(60.0, 0.5 * pow(2, Double(failures - 1)))
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
        }
    }
}
