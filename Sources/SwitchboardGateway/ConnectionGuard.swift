import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Limits on how a client may hold a connection: the timeouts and cap of `server:`.
public struct ConnectionLimits: Sendable, Equatable {
    /// From a request's first byte until its header is complete.
    public var headerTimeout: Duration
    /// From the end of the header until the whole body has arrived.
    public var bodyTimeout: Duration
    /// A kept-alive connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// Connections open at once; one more is answered 503 and closed at once.
    public var maxConnections: Int

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60), maxConnections: Int = 2048
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

/// Hummingbird's HTTP/1 child channel with the read timeouts and the connection cap in front.
///
/// Only *reading* a request is timed: a response being written (a long Server-Sent Events stream)
/// is never cut. The idle timeout is Hummingbird's own (`HTTP1Channel.Configuration.idleTimeout`),
/// which likewise leaves a connection alone while it answers.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http: HTTP1Channel
    let limits: ConnectionLimits
    let open: ConnectionCount

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits) {
        self.limits = limits
        self.open = ConnectionCount()
        self.http = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [RequestProgressHandler()], idleTimeout: .init(limits.idleTimeout)))
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let count = open.opened()
        channel.closeFuture.whenComplete { [open] _ in open.closed() }
        let overCap = count > limits.maxConnections
        if overCap { logger.warning("connection refused: \(limits.maxConnections) connections are open (server.max_connections)") }
        do {
            // First in the pipeline, so it sees the raw bytes before the HTTP decoder does.
            try channel.pipeline.syncOperations.addHandler(
                ReadDeadlineHandler(headerTimeout: .init(limits.headerTimeout), bodyTimeout: .init(limits.bodyTimeout), refuse: overCap),
                position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

/// How many connections are open now.
final class ConnectionCount: Sendable {
    private let value = Atomic<Int>(0)

    /// Counts one more; returns the count including it.
    func opened() -> Int { value.add(1, ordering: .relaxed).newValue }
    func closed() { value.subtract(1, ordering: .relaxed) }
}

/// Closes a connection whose request header or body arrives too slowly (slowloris), and answers a
/// connection over the cap with 503. Sits at the byte level: the first byte of a request starts
/// the header clock; ``RequestProgressHandler``, after the HTTP decoder, reports when the header
/// and then the whole request are in.
final class ReadDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case betweenRequests, header, body }

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let refuse: Bool
    private var phase = Phase.betweenRequests
    /// When the clock of the request being read runs out; nil between requests.
    private var due: NIODeadline?
    /// One timer per connection, at `timerDue`. A request read in time does not cancel it: it fires
    /// later, finds nothing overdue and moves to the next deadline, if any. So a busy keep-alive
    /// connection schedules about one task per header timeout, not two and two cancellations a request.
    private var timer: Scheduled<Void>?
    private var timerDue: NIODeadline?
    private var context: ChannelHandlerContext?

    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, refuse: Bool) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.refuse = refuse
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if refuse, context.channel.isActive { refuseConnection(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if refuse { refuseConnection(context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refuse else { return }
        if phase == .betweenRequests {
            phase = .header
            schedule(headerTimeout)
        }
        context.fireChannelRead(data)
    }

    /// The decoder has the whole header: the body's clock starts.
    func headerComplete() {
        phase = .body
        schedule(bodyTimeout)
    }

    /// The whole request is in: nothing more is timed until the next request starts.
    func requestComplete() {
        phase = .betweenRequests
        due = nil
    }

    private func schedule(_ timeout: TimeAmount) {
        let deadline = NIODeadline.now() + timeout
        due = deadline
        if let timerDue, timerDue <= deadline { return }
        arm(deadline)
    }

    private func arm(_ deadline: NIODeadline) {
        timer?.cancel()
        guard let context else { return }
        timerDue = deadline
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDue = nil
        guard let context, let due else { return }
        if due <= .now() {
            context.close(promise: nil)
        } else {
            arm(due)
        }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
        timerDue = nil
        due = nil
    }

    private func refuseConnection(_ context: ChannelHandlerContext) {
        let body = #"{"error":{"code":"too_many_connections","message":"the gateway has too many connections open; try again"}}"#
        let answer =
            "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer))).whenComplete { [channel = context.channel] _ in
            channel.close(promise: nil)
        }
    }
}

/// After the HTTP decoder: tells ``ReadDeadlineHandler`` where the request being read has got to.
final class RequestProgressHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private var deadlines: ReadDeadlineHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        deadlines = try? context.pipeline.syncOperations.handler(type: ReadDeadlineHandler.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines?.headerComplete()
        case .body: break
        case .end: deadlines?.requestComplete()
        }
        context.fireChannelRead(data)
    }
}
