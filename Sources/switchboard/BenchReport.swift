import Foundation

extension BenchSummary {
    /// One JSON object with snake_case keys, for scripts and CI comparisons.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A short human-readable report.
    func text() -> String {
        let modeLine = rate.map { "open loop at \(format($0, 0)) msg/s" } ?? "closed loop"
        var lines = [
            "switchboard bench: \(modeLine), \(connections) connections, \(threads) thread(s), "
                + "\(customers) customers, run \(runID)",
            "  target       \(url) adapter \(adapter)",
        ]
        if warmup > 0 { lines.append("  warm-up      \(warmup) sent, \(warmupFailed) failed (not counted below)") }
        lines += [
            "  sent         \(sent)",
            "  ok (2xx)     \(ok)",
            "  failed       \(sent - ok)" + (unsent > 0 ? ", \(unsent) never sent" : ""),
        ]
        for (status, count) in errorsByStatus.sorted(by: { $0.key < $1.key }) {
            lines.append("    HTTP \(status)     \(count)")
        }
        for (error, count) in transportErrors.sorted(by: { $0.value > $1.value }) {
            lines.append("    transport    \(count)  \(error)")
        }
        lines += [
            "  elapsed      \(format(elapsedSeconds, 3)) s",
            "  throughput   \(format(throughput, 1)) msg/s (2xx)",
            "  latency ms   p50 \(format(latencyMs.p50, 2))  p90 \(format(latencyMs.p90, 2))  "
                + "p99 \(format(latencyMs.p99, 2))  p99.9 \(format(latencyMs.p999, 2))  max \(format(latencyMs.max, 2))"
                + "  (mean \(format(latencyMs.mean, 2)), \(latencyMs.count) answers)",
        ]
        return lines.joined(separator: "\n")
    }
}

/// Fixed-point formatting without locale surprises.
private func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
