import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchboardAdapterAPI
import SwitchboardCore
import Synchronization

/// The gateway's LMTP listeners (RFC 2033) as one service: MTAs deliver mail straight into the
/// inbound pipeline, without a process per message.
///
/// ``bind()`` opens every listener before the gateway says it is ready, so an address in use stops
/// the start with its reason. On graceful shutdown it stops accepting, lets each session finish the
/// transaction it is in (its replies go out), tells idle ones `421`, and closes what is left after
/// ``drainTime``.
public final class LMTPServer: Service, Sendable {
    /// How long sessions may take to finish their transaction on shutdown.
    public static let drainTime: Duration = .seconds(10)

    private let listeners: [LMTPListener]
    private let deliverer: LMTPDeliverer
    private let limits: LMTPLimits
    private let hostname: String
    private let logger: Logger
    private let group: any EventLoopGroup
    private let servers = Mutex<[any Channel]>([])
    private let sessions = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// A server for `listeners`, storing through `pipeline`.
    public init(
        listeners: [LMTPListener], pipeline: InboundPipeline, limits: LMTPLimits, logger: Logger,
        hostname: String = ProcessInfo.processInfo.hostName,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.listeners = listeners
        self.limits = limits
        self.logger = logger
        self.group = group
        self.hostname = hostname.isEmpty ? "localhost" : hostname
        let adapters = listeners.flatMap { $0.mailboxes.map(\.adapter.id) }
        deliverer = LMTPDeliverer(pipeline: pipeline, logger: logger, metrics: LMTPMetrics(adapters: adapters))
    }

    /// Where each listener is bound (the port chosen for `:0`), in the order of the listeners.
    public var boundAddresses: [SocketAddress] {
        servers.withLock { $0.compactMap(\.localAddress) }
    }

    /// Opens every listener. Throws ``LMTPBindError`` naming the address that could not be opened
    /// (the ones opened before are closed again).
    public func bind() async throws {
        for listener in listeners {
            do {
                let channel = try await bind(listener)
                servers.withLock { $0.append(channel) }
                logger.notice(
                    "LMTP listening",
                    metadata: [
                        "address": "\(listener.address)", "adapters": "\(listener.mailboxes.map(\.adapter.id).joined(separator: ","))",
                        "tls": "\(listener.tls != nil)",
                    ])
            } catch {
                await closeListeners()
                throw LMTPBindError(address: listener.address, reason: "\(error)")
            }
        }
    }

    private func bind(_ listener: LMTPListener) async throws -> any Channel {
        let counter = ConnectionCounter()
        let settings = LMTPSessionSettings(
            listener: listener, deliverer: deliverer, limits: limits, hostname: hostname, logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self, deliverer] channel in
                let open = counter.opened()
                deliverer.metrics.connections.increment()
                let id = ObjectIdentifier(channel)
                self?.sessions.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { [weak self] _ in
                    counter.closed()
                    deliverer.metrics.connections.decrement()
                    _ = self?.sessions.withLock { $0.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        LMTPSession(settings: settings, overCap: open > listener.maxConnections))
                }
            }
        switch listener.address {
        case .inet(let host, let port):
            return try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            // Who may deliver is who may open the socket: the gateway's user and group.
            _ = chmod(path, 0o660)
            return channel
        }
    }

    /// Serves until graceful shutdown, then drains the sessions.
    public func run() async throws {
        try? await gracefulShutdown()
        await closeListeners()
        let open = sessions.withLock { Array($0.values) }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(LMTPDrain())
        }
        let deadline = ContinuousClock.now + Self.drainTime
        while ContinuousClock.now < deadline, sessions.withLock({ !$0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for channel in sessions.withLock({ Array($0.values) }) {
            try? await channel.close()
        }
    }

    private func closeListeners() async {
        let channels = servers.withLock { channels in
            defer { channels = [] }
            return channels
        }
        for channel in channels { try? await channel.close() }
    }
}

/// A listener that could not be opened.
public struct LMTPBindError: Error, CustomStringConvertible {
    /// The address that could not be opened.
    public var address: ListenAddress
    /// The system's words.
    public var reason: String
    public var description: String { "cannot listen for LMTP on \(address): \(reason)" }
}

/// Connections open on one listener.
private final class ConnectionCounter: Sendable {
    private let value = Atomic<Int>(0)
    func opened() -> Int { value.add(1, ordering: .relaxed).newValue }
    func closed() { value.subtract(1, ordering: .relaxed) }
}
