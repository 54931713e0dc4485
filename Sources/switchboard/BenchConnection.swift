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
    private var progress = BenchRun()
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
        guard let context, context.channel.isActive, !progress.isRunning else {
            return eventLoop.makeSucceededFuture(BenchConnectionRun(tally: BenchTally(), end: .connectionLost))
        }
        let result = progress.start(phase, on: context.eventLoop)
        lastError = nil
        sendNext()
        return result
    }

    /// Claims the next request and sends it now (closed loop, or open loop running late) or at its scheduled time.
    private func sendNext() {
        guard let context else { return }
        switch progress.claimNext() {
        case .send: send()
        case .wait(let due): progress.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { self.send() }
        case .stop: break
        }
    }

    /// Writes the prepared request of `current` in one flush.
    private func send() {
        progress.timer = nil
        guard let context, let request = progress.request else { return }
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
            guard progress.answered(status: status) else { return }  // an answer nobody asked for: ignore
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
        progress.connectionClosed(error: lastError ?? "connection closed before the answer")
        context.fireChannelInactive()
    }
}
