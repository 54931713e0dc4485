import Foundation
import Logging
import SwitchboardAdapterAPI

/// The process ended; the gateway's runner restarts it with backoff.
public struct AdapterProcessExited: Error, Sendable, CustomStringConvertible {
    /// How it ended.
    public var status: ExitStatus
    /// "the adapter process exited with status 1".
    public var description: String { "the adapter process \(status)" }
}

extension ExternalAdapter {
    /// Starts the process, sends `start`, and handles what it writes until it exits; then throws so
    /// the runner restarts it. On cancellation (shutdown) the process is asked to finish (EOF on
    /// stdin, then SIGTERM, then SIGKILL) and the answers it still gives are handled.
    public func run(sink: any InboundSink) async throws {
        let child: ChildProcess
        do {
            child = try ChildProcess.launch(settings, name: "switchboard.adapter.\(id)") { [logger] in
                logger.error("the adapter process stopped reading its input; killing it")
            }
        } catch {
            shared.withLock { $0.state = .degraded("restarting: \(error)") }
            throw error
        }
        let session = ExternalSession(child: child)
        shared.withLock {
            $0.session = session
            $0.state = .degraded("starting: waiting for hello")
        }
        logger.info("adapter process started", metadata: ["pid": "\(child.pid)", "command": "\(settings.command.joined(separator: " "))"])
        session.send(GatewayMessage.start(adapter: id, config: settings.processConfig))

        let stderr = Task { [logger] in
            for await chunk in child.stderrLines {
                for line in chunk { logger.notice("\(String(decoding: line, as: UTF8.self))", metadata: ["stream": "stderr"]) }
            }
        }
        // Not a child task: it must go on reading the answers to deliveries in flight while a
        // cancelled run waits for the process to finish.
        let pump = Task { await self.pump(session, sink: sink) }
        let failure = await withTaskCancellationHandler {
            await pump.value
        } onCancel: { [settings] in
            Task { _ = await child.stop(grace: settings.stopTimeout) }
        }
        if let failure {
            logger.error("stopping the adapter process so that it re-sends what was not stored", metadata: ["error": "\(failure)"])
        }
        // Its stdout is closed, or storing failed: either way this run is over. (An unstructured
        // task: a cancelled one would skip the grace periods.)
        let status = await Task { [settings] in await child.stop(grace: settings.stopTimeout) }.value
        session.close(because: status.description)
        shared.withLock {
            $0.session = nil
            $0.state = .degraded("restarting: \(status)")
        }
        await stderr.value
        if Task.isCancelled { return }
        throw failure ?? AdapterProcessExited(status: status)
    }

    /// Handles the process's lines until its stdout closes. Returns the error that makes the run
    /// stop early (storing failed), nil at EOF.
    func pump(_ session: ExternalSession, sink: any InboundSink) async -> (any Error)? {
        for await chunk in session.child.stdoutLines {
            // Inbound messages and status reports of one chunk are stored together: one commit.
            var events: [InboundEvent] = []
            for line in chunk where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                let message: AdapterMessage
                do {
                    message = try AdapterMessage.decode(line, identity: settings.identityChannel)
                } catch {
                    logger.warning("ignored a line from the adapter process", metadata: ["reason": "\(error)"])
                    continue
                }
                switch message {
                case .hello(let capabilities):
                    shared.withLock {
                        $0.capabilities = capabilities
                        if $0.session === session { $0.state = .running }
                    }
                    logger.info("adapter process ready")
                case .inbound(let inbound):
                    events.append(.message(inbound))
                case .status(let update):
                    events.append(.deliveryStatus(update))
                case .delivered(let reply, let receipt):
                    if !session.deliveries.answer(reply, with: receipt) {
                        logger.notice("an answer for reply \(reply) came after its timeout; the outbox will try it again")
                    }
                case .failed(let reply, let failure):
                    session.deliveries.fail(reply, with: failure)
                case .response(let request, let json):
                    session.requests.answer(request, with: json)
                case .log(let level, let text):
                    logger.log(level: level, "\(text)", metadata: ["source": "process"])
                case .unknown(let type):
                    logger.debug("ignored a message of unknown type", metadata: ["type": "\(type)"])
                }
            }
            if !events.isEmpty {
                do {
                    try await store(events, session: session, sink: sink)
                } catch {
                    return error
                }
            }
        }
        return nil
    }

    /// Stores a batch, then acks every inbound message in it — duplicates too, so the process can
    /// forget them.
    private func store(_ events: [InboundEvent], session: ExternalSession, sink: any InboundSink) async throws {
        var seen = Set<String>()
        let unique = events.filter { event in
            guard case .message(let message) = event else { return true }
            return seen.insert(message.externalID).inserted
        }
        _ = try await sink.store(unique, adapter: id)
        for event in unique {
            if case .message(let message) = event { session.send(GatewayMessage.ack(message.externalID)) }
        }
    }
}
