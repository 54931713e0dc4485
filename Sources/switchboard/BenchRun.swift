import NIOCore

/// One connection's part of a phase, as both bench connection handlers (HTTP and LMTP) keep it: the
/// phase, the caller's promise, the tally, the claimed request and its open-loop timer. It lives in
/// its handler, on the channel's event loop, so it needs no locks.
struct BenchRun {
    /// What to do after ``claimNext()``.
    enum Next {
        case send
        /// Open loop, ahead of schedule: send at this time.
        case wait(until: NIODeadline)
        /// No phase, or its cursor ran dry (the run is finished).
        case stop
    }

    private var phase: BenchPhase?
    private var promise: EventLoopPromise<BenchConnectionRun>?
    private var tally = BenchTally()
    /// The claimed request (waiting for its open-loop send time, or in flight) and when its latency clock started.
    private var current: (index: Int, since: NIODeadline)?
    /// The open-loop timer of `current`, cancelled if the connection dies first.
    var timer: Scheduled<Void>?

    /// Whether a caller waits for this connection's part of a phase.
    var isRunning: Bool { promise != nil }

    /// The request of `current`.
    var request: BenchRequest? {
        guard let phase, let current else { return nil }
        return phase.requests[current.index]
    }

    /// Starts working on `phase`; the future completes when its cursor is exhausted or the connection is lost.
    mutating func start(_ phase: BenchPhase, on eventLoop: any EventLoop) -> EventLoopFuture<BenchConnectionRun> {
        let promise = eventLoop.makePromise(of: BenchConnectionRun.self)
        self.phase = phase
        self.promise = promise
        return promise.futureResult
    }

    /// Claims the next request from the phase's cursor. It counts as sent at once, so that sent =
    /// answered + failed even if the connection dies before the write; its latency runs from its
    /// scheduled time (open loop, even when running late) or from now.
    mutating func claimNext() -> Next {
        guard let phase else { return .stop }
        guard let index = phase.cursor.take() else {
            finish(.phaseDone)
            return .stop
        }
        tally.sent += 1
        let now = NIODeadline.now()
        guard let due = phase.scheduledTime(of: index) else {
            current = (index, now)
            return .send
        }
        current = (index, due)
        return due > now ? .wait(until: due) : .send
    }

    /// Records the answer (`status`: an HTTP status or an LMTP reply code) to `current`; false when
    /// no request was in flight (an answer nobody asked for).
    mutating func answered(status: Int) -> Bool {
        guard let phase, let current else { return false }
        let latency = NIODeadline.now() - current.since
        tally.record(status: status, latencyMs: phase.recordLatencies ? Double(latency.nanoseconds) / 1e6 : nil)
        self.current = nil
        return true
    }

    /// The connection closed: the request in flight failed with `error`, and the run ends.
    mutating func connectionClosed(error: String) {
        timer?.cancel()
        timer = nil
        if current != nil {
            tally.recordTransportError(error)
            current = nil
        }
        finish(.connectionLost)
    }

    /// Hands the tally to the waiting caller and forgets the phase.
    private mutating func finish(_ end: BenchConnectionEnd) {
        guard let promise else { return }
        let run = BenchConnectionRun(tally: tally, end: end)
        self.promise = nil
        phase = nil
        tally = BenchTally()
        promise.succeed(run)
    }
}
