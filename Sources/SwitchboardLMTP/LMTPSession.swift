import Foundation
import Logging
import NIOCore
import NIOSSL
import SwitchboardAdapterAPI

/// What every session of one listener shares.
struct LMTPSessionSettings: Sendable {
    var listener: LMTPListener
    var deliverer: LMTPDeliverer
    var limits: LMTPLimits
    /// The name in the greeting and the `LHLO` answer.
    var hostname: String
    var logger: Logger
}

/// The time limits of a session, so a client that dribbles bytes (slowloris) cannot hold a
/// connection: the gateway's `server:` timeouts.
public struct LMTPLimits: Sendable, Equatable {
    /// From a command line's first byte until its end (`server.header_timeout`).
    public var commandTimeout: Duration
    /// From the `354` until the final `.` (`server.body_timeout`).
    public var dataTimeout: Duration
    /// Between commands (`server.idle_timeout`).
    public var idleTimeout: Duration
    /// Recipients in one transaction; more are answered `452 4.5.3` (the MTA sends them again).
    public var maxRecipients: Int
    /// Commands refused in one session before it is closed.
    public var maxErrors: Int

    /// Limits; the gateway passes its `server:` timeouts.
    public init(
        commandTimeout: Duration = .seconds(10), dataTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        maxRecipients: Int = 100, maxErrors: Int = 20
    ) {
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
        self.idleTimeout = idleTimeout
        self.maxRecipients = maxRecipients
        self.maxErrors = maxErrors
    }
}

/// Asks a session to end: at once when it is between transactions, after the transaction's
/// replies otherwise (graceful shutdown).
struct LMTPDrain: Sendable {}

/// One LMTP connection (RFC 2033): a state machine on the channel's event loop. Commands are read
/// as they come, so a pipelining client's group (`MAIL`, `RCPT`…, `DATA`) is answered in one
/// write; after the data, the message is stored off the event loop and reading pauses until each
/// recipient has its reply.
final class LMTPSession: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Mode { case command, data, committing, closed }
    private enum Deadline { case none, idle, command, data }

    private struct Transaction {
        var sender: String
        /// Accepted recipients in order, with the mailbox each belongs to.
        var recipients: [(address: String, mailbox: Int)] = []
    }

    private let settings: LMTPSessionSettings
    private var context: ChannelHandlerContext?
    private var input: ByteBuffer?
    private var output: ByteBuffer
    private var mode = Mode.command
    private var greeted = false
    private var tlsActive = false
    private var transaction: Transaction?
    private var reader: LMTPDataReader?
    private var errors = 0
    private var draining = false
    private var deadline = Deadline.none
    private var timer: Scheduled<Void>?
    /// Over the listener's connection cap: answered `421` and closed at once.
    private let overCap: Bool
    private var started = false

    init(settings: LMTPSessionSettings, overCap: Bool) {
        self.settings = settings
        self.overCap = overCap
        output = ByteBuffer()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        output = context.channel.allocator.buffer(capacity: 512)
        if context.channel.isActive { start() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    /// The greeting, or the refusal of a connection over the cap (the MTA tries again later).
    private func start() {
        guard !started else { return }
        started = true
        if overCap {
            settings.deliverer.metrics.refused.increment()
            return close(with: "421 4.3.2 \(settings.hostname) too many connections, try again later")
        }
        say("220 \(settings.hostname) LMTP Switchboard ready")
        flush()
        arm(.idle)
    }

    func channelInactive(context: ChannelHandlerContext) {
        mode = .closed
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard mode != .closed else { return }
        if input == nil {
            input = bytes
        } else {
            input!.writeBuffer(&bytes)
        }
        process()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is LMTPDrain {
            draining = true
            if mode == .command, transaction == nil, input?.readableBytes ?? 0 == 0 {
                close(with: "421 4.3.2 \(settings.hostname) shutting down, try again later")
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        settings.logger.debug("LMTP connection error", metadata: ["error": "\(error)"])
        mode = .closed
        context.close(promise: nil)
    }

    // MARK: reading

    /// Works through what has arrived until it runs out or must wait for a commit.
    private func process() {
        while var buffer = input, buffer.readableBytes > 0 {
            if mode == .data {
                input = nil  // the reader consumes from its own copy; what is left goes back below
                let finished = reader!.consume(&buffer)
                input = buffer
                if finished { endOfData() }
                if !finished { break }
                continue
            }
            guard mode == .command else { break }
            guard let line = nextLine(&buffer) else {
                input = buffer
                if buffer.readableBytes > LMTPCommand.maxLineBytes {
                    return close(with: "500 5.5.2 line too long")
                }
                break
            }
            input = buffer
            handle(line)
        }
        if input?.readableBytes == 0 { input = nil } else { input?.discardReadBytes() }
        flush()
        switch mode {
        case .command:
            if let pending = input, pending.readableBytes > 0 {
                if deadline != .command { arm(.command) }
            } else {
                arm(.idle)
            }
        case .data:
            if deadline != .data { arm(.data) }
        case .committing, .closed:
            break
        }
    }

    /// The next line without its line end, when one is complete.
    private func nextLine(_ buffer: inout ByteBuffer) -> String? {
        guard let lineFeed = buffer.readableBytesView.firstIndex(of: 0x0A) else { return nil }
        let length = lineFeed - buffer.readerIndex
        guard var bytes = buffer.readBytes(length: length + 1) else { return nil }
        bytes.removeLast()
        if bytes.last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: commands

    private func handle(_ line: String) {
        // A complete line: the next one's clock starts with its own first byte.
        cancelTimer()
        guard line.utf8.count <= LMTPCommand.maxLineBytes else { return refuse("500 5.5.2 line too long") }
        switch LMTPCommand.parse(line) {
        case .lhlo:
            transaction = nil
            greeted = true
            var lines = [
                settings.hostname, "PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8",
                "SIZE \(settings.listener.maxMessageBytes)",
            ]
            if settings.listener.tls != nil, !tlsActive { lines.append("STARTTLS") }
            for (index, text) in lines.enumerated() {
                say("250\(index == lines.count - 1 ? " " : "-")\(text)")
            }
        case .smtpGreeting:
            refuse("500 5.5.1 this is an LMTP server: use LHLO")
        case .starttls:
            startTLS()
        case .mail(let sender, let parameters):
            mail(sender: sender, parameters: parameters)
        case .rcpt(let recipient, _):
            rcpt(recipient)
        case .data:
            data()
        case .rset:
            transaction = nil
            say("250 2.0.0 reset")
        case .noop:
            say("250 2.0.0 OK")
        case .quit:
            close(with: "221 2.0.0 \(settings.hostname) closing connection")
        case .vrfy:
            say("252 2.5.0 cannot verify, send some mail")
        case .syntaxError(let reason):
            refuse("501 5.5.4 \(reason)")
        case .unknown(let verb):
            refuse("500 5.5.2 unknown command \(verb.isEmpty ? "(empty line)" : verb)")
        }
    }

    private func mail(sender: String, parameters: [String: String]) {
        guard greeted else { return refuse("503 5.5.1 send LHLO first") }
        guard transaction == nil else { return refuse("503 5.5.1 nested MAIL command") }
        if settings.listener.tls != nil, !tlsActive { return refuse("530 5.7.0 must issue a STARTTLS command first") }
        for (name, value) in parameters {
            switch name {
            case "SIZE":
                guard let size = Int(value) else { return refuse("501 5.5.4 SIZE=\(value.prefix(20)) is not a number") }
                if size > settings.listener.maxMessageBytes {
                    return say("552 5.3.4 message size \(size) exceeds the limit of \(settings.listener.maxMessageBytes) bytes")
                }
            case "BODY":
                guard ["7BIT", "8BITMIME"].contains(value.uppercased()) else {
                    return refuse("501 5.5.4 BODY=\(value.prefix(20)) is not supported")
                }
            case "SMTPUTF8":
                break
            default:
                return refuse("555 5.5.4 unsupported parameter \(name.prefix(20))")
            }
        }
        transaction = Transaction(sender: sender)
        say("250 2.1.0 sender OK")
    }

    private func rcpt(_ recipient: String) {
        guard transaction != nil else { return refuse("503 5.5.1 send MAIL first") }
        guard transaction!.recipients.count < settings.limits.maxRecipients else {
            return say("452 4.5.3 too many recipients")
        }
        guard let index = settings.listener.mailboxes.firstIndex(where: { $0.adapter.accepts(recipient: recipient) }) else {
            return say("550 5.1.1 <\(LMTPDeliverer.oneLine(recipient))> no such mailbox here")
        }
        transaction!.recipients.append((recipient, index))
        say("250 2.1.5 recipient OK")
    }

    private func data() {
        guard let transaction else { return refuse("503 5.5.1 send MAIL first") }
        // RFC 2033 §4.2: with no accepted recipient, DATA fails (the client sends no data then).
        guard !transaction.recipients.isEmpty else { return refuse("503 5.5.1 no valid recipients") }
        reader = LMTPDataReader(limit: settings.listener.maxMessageBytes)
        mode = .data
        say("354 start mail input; end with <CRLF>.<CRLF>")
    }

    /// The final `.` arrived: answer each recipient once the message is stored (or refused).
    private func endOfData() {
        guard let transaction, let reader, let context else { return }
        self.reader = nil
        let listener = settings.listener
        guard !reader.tooLarge else {
            let reply = "552 5.3.4 message larger than \(listener.maxMessageBytes) bytes"
            for mailbox in Set(transaction.recipients.map { $0.mailbox }) {
                settings.deliverer.metrics.delivered(adapter: listener.mailboxes[mailbox].adapter.id, result: .tooLarge)
            }
            return finishTransaction(transaction.recipients.map { _ in reply })
        }
        var shares: [LMTPDeliverer.Share] = []
        var shareOfMailbox: [Int: Int] = [:]
        for (address, mailbox) in transaction.recipients {
            if let share = shareOfMailbox[mailbox] {
                shares[share].recipients.append(address)
            } else {
                shareOfMailbox[mailbox] = shares.count
                shares.append(.init(mailbox: listener.mailboxes[mailbox], recipients: [address]))
            }
        }
        mode = .committing
        cancelTimer()
        flush()
        // Nothing more is read until the replies are out: the client waits for them anyway.
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let deliverer = settings.deliverer
        let message = reader.message
        let sender = transaction.sender
        let shareList = shares
        let recipients = transaction.recipients.map { $0.mailbox }
        let shareIndex = shareOfMailbox
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            let replies = await deliverer.deliver(message, sender: sender, shares: shareList, receivedAt: Date())
            let perRecipient = recipients.map { replies[shareIndex[$0]!] }
            eventLoop.execute { session.value.committed(perRecipient) }
        }
    }

    private func committed(_ replies: [String]) {
        guard mode == .committing, let context else { return }
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        mode = .command
        finishTransaction(replies)
        process()
    }

    /// One reply per accepted recipient, in `RCPT` order (RFC 2033 §4.2).
    private func finishTransaction(_ replies: [String]) {
        for reply in replies { say(reply) }
        transaction = nil
        mode = .command
        if draining { close(with: "421 4.3.2 \(settings.hostname) shutting down, try again later") }
    }

    // MARK: TLS

    private func startTLS() {
        guard let tls = settings.listener.tls else { return refuse("502 5.5.1 STARTTLS is not offered here") }
        guard !tlsActive else { return refuse("503 5.5.1 TLS is already active") }
        guard let context else { return }
        say("220 2.0.0 ready to start TLS")
        flush()
        // Anything sent after the command in plain text is dropped (RFC 3207 §4: no injection).
        input = nil
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
        } catch {
            return close(with: "454 4.7.0 TLS not available")
        }
        tlsActive = true
        greeted = false
        transaction = nil
    }

    // MARK: replies, time limits, closing

    private func say(_ line: String) {
        output.writeString(line)
        output.writeStaticString("\r\n")
    }

    /// A refused command; too many of them end the session.
    private func refuse(_ line: String) {
        errors += 1
        if errors > settings.limits.maxErrors {
            return close(with: "421 4.7.0 too many errors, closing connection")
        }
        say(line)
    }

    private func flush() {
        guard output.readableBytes > 0, let context, context.channel.isActive else { return }
        context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        output = context.channel.allocator.buffer(capacity: 512)
    }

    private func close(with line: String) {
        guard mode != .closed, let context else { return }
        say(line)
        mode = .closed
        cancelTimer()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(output)).whenComplete { _ in channel.close(promise: nil) }
        output = context.channel.allocator.buffer(capacity: 0)
        input = nil
    }

    private func arm(_ kind: Deadline) {
        cancelTimer()
        guard let context else { return }
        let limits = settings.limits
        let timeout: Duration
        let reason: String
        switch kind {
        case .none: return
        case .idle: (timeout, reason) = (limits.idleTimeout, "idle")
        case .command: (timeout, reason) = (limits.commandTimeout, "command not completed")
        case .data: (timeout, reason) = (limits.dataTimeout, "message data not completed")
        }
        deadline = kind
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .init(timeout)) { [self] in
            timer = nil
            deadline = .none
            close(with: "421 4.4.2 \(settings.hostname) \(reason) in time, closing connection")
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        deadline = .none
    }
}
