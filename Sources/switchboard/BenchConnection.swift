import NIOCore
import NIOHTTP1

/// How one connection's part of a phase ended.
enum BenchConnectionEnd: Sendable {
    /// The cursor ran dry and the last answer arrived.
    case phaseDone
    /// The connection closed (error, or the server said `Connection: close`); the caller reconnects.
    case connectionLost
}

/// What one connection did during (its part of) one phase.
struct BenchConnectionRun: Sendable {
    var tally: BenchTally
    var end: BenchConnectionEnd
}

/// Drives one keep-alive HTTP/1.1 connection: one request in flight at a time, no pipelining,
/// the next request claimed from the phase's cursor as soon as the previous answer is complete.
///
/// Everything here runs on the channel's event loop, so the mutable state needs no locks; the
/// async side only ever sees the `EventLoopFuture` returned by `run(_:)`.
final class BenchConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    private var phase: BenchPhase?
    private var promise: EventLoopPromise<BenchConnectionRun>?
    private var tally = BenchTally()
    /// The claimed request (waiting for its open-loop send time, or in flight) and when its latency clock started.
    private var current: (index: Int, since: NIODeadline)?
    /// The open-loop timer of `current`, cancelled if the connection dies first.
    private var timer: Scheduled<Void>?
    private var status = 0
    private var keepAlive = true
    /// The last channel error, used to name the transport failure when the connection then closes.
    private var lastError: String?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Works on `phase` until its cursor is exhausted or this connection is lost. Call on the event loop.
    func run(_ phase: BenchPhase, on eventLoop: any EventLoop) -> EventLoopFuture<BenchConnectionRun> {
        guard let context, context.channel.isActive, promise == nil else {
            return eventLoop.makeSucceededFuture(BenchConnectionRun(tally: BenchTally(), end: .connectionLost))
        }
        let promise = context.eventLoop.makePromise(of: BenchConnectionRun.self)
        self.phase = phase
        self.promise = promise
        lastError = nil
        sendNext()
        return promise.futureResult
    }

    /// Claims the next request and sends it now (closed loop, or open loop running late) or at its scheduled time.
    private func sendNext() {
        guard let phase, let context else { return }
        guard let index = phase.cursor.take() else { return finish(.phaseDone) }
        // Counted when claimed, so that sent = answered + failed even if the connection dies before the write.
        tally.sent += 1
        let now = NIODeadline.now()
        guard let due = phase.scheduledTime(of: index) else {
            current = (index, now)
            return send()
        }
        current = (index, due)
        if due > now {
            timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { self.send() }
        } else {
            send()
        }
    }

    /// Writes the prepared request of `current` in one flush.
    private func send() {
        timer = nil
        guard let phase, let context, let current else { return }
        let request = phase.requests[current.index]
        status = 0
        keepAlive = true
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body:
            break  // only the status matters; the gateway answers 2xx only after the commit
        case .end:
            guard let phase, let current else { return }  // an answer nobody asked for: ignore
            let latency = NIODeadline.now() - current.since
            tally.record(status: status, latencyMs: phase.recordLatencies ? Double(latency.nanoseconds) / 1e6 : nil)
            self.current = nil
            if keepAlive {
                sendNext()
            } else {
                context.close(promise: nil)  // channelInactive ends the run; the caller reconnects
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lastError = "\(error)"
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if current != nil {
            tally.recordTransportError(lastError ?? "connection closed before the answer")
            current = nil
        }
        finish(.connectionLost)
        context.fireChannelInactive()
    }

    /// Hands the tally to the waiting caller and forgets the phase.
    private func finish(_ end: BenchConnectionEnd) {
        guard let promise else { return }
        let run = BenchConnectionRun(tally: tally, end: end)
        self.promise = nil
        phase = nil
        tally = BenchTally()
        promise.succeed(run)
    }
}
