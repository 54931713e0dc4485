/// Counts and exact latencies of one connection (or, after merging, of a whole phase).
///
/// Latencies are kept one by one rather than in a histogram: a million Doubles is 8 MB,
/// and sorting them once at the end gives exact percentiles.
struct BenchTally: Sendable {
    /// Requests claimed for sending (answered, failed, or lost with their connection).
    var sent = 0
    /// HTTP answers by status code.
    var statuses: [Int: Int] = [:]
    /// Requests without an HTTP answer, by what went wrong.
    var transportErrors: [String: Int] = [:]
    /// Milliseconds from (scheduled) send to the end of the answer.
    var latenciesMs: [Double] = []

    /// Answers with a 2xx status: the gateway committed the message.
    var ok: Int { statuses.reduce(0) { $0 + ((200..<300).contains($1.key) ? $1.value : 0) } }
    /// Everything sent that did not get a 2xx.
    var failed: Int { sent - ok }

    /// Notes one HTTP answer; `latencyMs` is nil during the warm-up.
    mutating func record(status: Int, latencyMs: Double?) {
        statuses[status, default: 0] += 1
        if let latencyMs { latenciesMs.append(latencyMs) }
    }

    /// Notes one request that got no HTTP answer.
    mutating func recordTransportError(_ description: String) {
        transportErrors[description, default: 0] += 1
    }

    /// Adds another connection's counts and latencies.
    mutating func merge(_ other: BenchTally) {
        sent += other.sent
        statuses.merge(other.statuses, uniquingKeysWith: +)
        transportErrors.merge(other.transportErrors, uniquingKeysWith: +)
        latenciesMs.append(contentsOf: other.latenciesMs)
    }
}

/// Latency percentiles in milliseconds (nearest-rank over all answered requests, errors included).
struct BenchLatency: Encodable {
    var count: Int
    var mean: Double
    var p50: Double
    var p90: Double
    var p99: Double
    var p999: Double
    var max: Double

    init(_ latencies: [Double]) {
        let sorted = latencies.sorted()
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.min(Swift.max(index, 0), sorted.count - 1)]
        }
        count = sorted.count
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        p999 = rank(0.999)
        max = sorted.last ?? 0
    }
}

/// The result of a bench run, printed as text or (with `--json`) as one JSON object.
struct BenchSummary: Encodable {
    var runID: String
    var url: String
    var adapter: String
    /// "closed" (as fast as answers come back) or "open" (fixed `rate`).
    var mode: String
    var rate: Double?
    var connections: Int
    var threads: Int
    var customers: Int
    var warmup: Int
    var warmupFailed: Int
    /// Measured messages requested with `--messages`.
    var messages: Int
    var sent: Int
    var ok: Int
    /// Messages of the measured phase that were never sent because every connection was lost.
    var unsent: Int
    var errorsByStatus: [String: Int]
    var transportErrors: [String: Int]
    var elapsedSeconds: Double
    /// 2xx answers per second of the measured phase.
    var throughput: Double
    var latencyMs: BenchLatency

    /// True when every measured and warm-up message was committed.
    var succeeded: Bool { ok == messages && warmupFailed == 0 }
}
