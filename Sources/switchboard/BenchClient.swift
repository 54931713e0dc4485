import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Owns the bench's keep-alive connections and runs phases over them.
///
/// Each connection is a NIO channel with the HTTP/1.1 client codec and a `BenchConnectionHandler`;
/// all of them share a small event-loop group, so the generator costs one or two threads, not one per connection.
struct BenchClient {
    let group: any EventLoopGroup
    let target: BenchTarget
    /// One slot per connection; nil while a slot has no usable connection (it reconnects in the next phase).
    private(set) var channels: [(any Channel)?]

    /// Opens `count` connections up front, so connection setup is not part of the timed phase
    /// and an unreachable gateway is reported once instead of as thousands of failed requests.
    static func connect(group: any EventLoopGroup, target: BenchTarget, count: Int) async throws -> BenchClient {
        var channels: [(any Channel)?] = []
        for _ in 0..<count {
            channels.append(try await openChannel(group: group, target: target))
        }
        return BenchClient(group: group, target: target, channels: channels)
    }

    /// Runs `phase` on every connection and returns the merged tally once all of them are done.
    mutating func run(_ phase: BenchPhase) async -> BenchTally {
        let (group, target) = (self.group, self.target)
        var total = BenchTally()
        await withTaskGroup(of: (Int, (any Channel)?, BenchTally).self) { tasks in
            for (slot, channel) in channels.enumerated() {
                tasks.addTask { await Self.drive(slot: slot, channel: channel, phase: phase, group: group, target: target) }
            }
            for await (slot, channel, tally) in tasks {
                channels[slot] = channel
                total.merge(tally)
            }
        }
        return total
    }

    /// Closes every connection.
    func close() async {
        for case let channel? in channels {
            try? await channel.close()
        }
    }

    /// Works one connection slot through `phase`, reconnecting when the server closes the connection.
    /// A slot gives up after a failed connect or three connections in a row that got nothing done,
    /// so a gateway that refuses work cannot make the bench spin; the other slots carry on.
    private static func drive(
        slot: Int, channel: (any Channel)?, phase: BenchPhase, group: any EventLoopGroup, target: BenchTarget
    ) async -> (Int, (any Channel)?, BenchTally) {
        var channel = channel
        var tally = BenchTally()
        var fruitless = 0
        while fruitless < 3 {
            let current: any Channel
            if let channel, channel.isActive {
                current = channel
            } else {
                do {
                    current = try await openChannel(group: group, target: target)
                } catch {
                    tally.recordTransportError("connect: \(error)")
                    return (slot, nil, tally)
                }
            }
            channel = current
            let run: BenchConnectionRun
            do {
                run = try await current.eventLoop.flatSubmit {
                    do {
                        if target.isLMTP {
                            let handler = try current.pipeline.syncOperations.handler(type: BenchLMTPConnectionHandler.self)
                            return handler.run(phase, on: current.eventLoop)
                        }
                        let handler = try current.pipeline.syncOperations.handler(type: BenchConnectionHandler.self)
                        return handler.run(phase, on: current.eventLoop)
                    } catch {
                        return current.eventLoop.makeFailedFuture(error)
                    }
                }.get()
            } catch {
                tally.recordTransportError("pipeline: \(error)")
                return (slot, nil, tally)
            }
            tally.merge(run.tally)
            if case .phaseDone = run.end { return (slot, current, tally) }
            fruitless = run.tally.sent == 0 ? fruitless + 1 : 0
            channel = nil
        }
        return (slot, nil, tally)
    }

    /// Connects one keep-alive HTTP/1.1 channel to the target (an LMTP session, greeted, for lmtp://).
    private static func openChannel(group: any EventLoopGroup, target: BenchTarget) async throws -> any Channel {
        if target.isLMTP {
            // The handler goes in before the connection is up: the server greets at once, and a
            // greeting read before the handler was there is lost (the session then waits for the
            // server's idle timeout, 421).
            let greeted = GreetedFuture()
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    let ready = channel.eventLoop.makePromise(of: Void.self)
                    greeted.future.withLock { $0 = ready.futureResult }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(BenchLMTPConnectionHandler(ready: ready))
                    }
                }
                .connect(host: target.host, port: target.port)
                .get()
            try await greeted.future.withLock { $0 }?.get()
            return channel
        }
        return try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(BenchConnectionHandler())
                }
            }
            .connect(host: target.host, port: target.port)
            .get()
    }
}

/// The LMTP greeting's future, set by the channel initializer (a connection's own).
private final class GreetedFuture: Sendable {
    let future = Mutex<EventLoopFuture<Void>?>(nil)
}
