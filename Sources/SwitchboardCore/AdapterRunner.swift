import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SwitchboardAdapterAPI

/// Runs the background work of every ``BackgroundChannelAdapter``. A failing adapter is restarted
/// with backoff and never takes the gateway or another adapter down with it.
public struct AdapterRunner: Service {
    private let adapters: [any BackgroundChannelAdapter]
    private let sink: any InboundSink
    private let logger: Logger

    public init(adapters: AdapterRegistry, sink: any InboundSink, logger: Logger) {
        self.adapters = adapters.all.compactMap { $0.adapter as? any BackgroundChannelAdapter }
        self.sink = sink
        self.logger = logger
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for adapter in adapters {
                group.addTask { await supervise(adapter) }
            }
        }
        // A service that returns early would shut the whole gateway down: with no background
        // adapters (or once they stopped for shutdown) wait for the shutdown itself.
        try? await gracefulShutdown()
    }

    private func supervise(_ adapter: any BackgroundChannelAdapter) async {
        // Exported so an operator sees a crash-looping adapter without reading logs.
        let running = Gauge(label: "switchboard_adapter_running", dimensions: [("adapter", adapter.id)])
        let restarts = Counter(label: "switchboard_adapter_restarts_total", dimensions: [("adapter", adapter.id)])
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                let started = ContinuousClock.now
                running.record(1)
                do {
                    try await adapter.run(sink: sink)
                    if Task.isCancelled { return }
                    logger.warning("adapter stopped by itself; restarting", metadata: ["adapter": "\(adapter.id)"])
                } catch is CancellationError {
                    return
                } catch {
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
}
