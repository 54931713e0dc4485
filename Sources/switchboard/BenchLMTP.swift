import NIOCore

/// Drives one LMTP connection for `bench --format lmtp`, the way Postfix's `lmtp` client does:
/// `LHLO` once, then per message `MAIL`, `RCPT` and `DATA` in one write (PIPELINING), the message
/// after the `354`, and the next message as soon as the recipient's reply is in. The reply code
/// counts as the "status" (a `250` is a 2xx: stored).
///
/// Everything runs on the channel's event loop, like ``BenchConnectionHandler``.
final class BenchLMTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Stage {
        case greeting, lhlo, idle
        case commands(replies: Int, failure: Int?)
        case data
    }

    private var context: ChannelHandlerContext?
    private var phase: BenchPhase?
    private var promise: EventLoopPromise<BenchConnectionRun>?
    private var ready: EventLoopPromise<Void>?
    private var tally = BenchTally()
    private var current: (index: Int, since: NIODeadline)?
    private var timer: Scheduled<Void>?
    private var stage = Stage.greeting
    private var input = ByteBuffer()
    /// A transaction failed half-way: the next one starts with `RSET`.
    private var needsReset = false
    private var lastError: String?

    init(ready: EventLoopPromise<Void>) {
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Works on `phase` until its cursor is exhausted or the connection is lost. Call on the event loop.
    func run(_ phase: BenchPhase, on eventLoop: any EventLoop) -> EventLoopFuture<BenchConnectionRun> {
        guard let context, context.channel.isActive, promise == nil, case .idle = stage else {
            return eventLoop.makeSucceededFuture(BenchConnectionRun(tally: BenchTally(), end: .connectionLost))
        }
        let promise = context.eventLoop.makePromise(of: BenchConnectionRun.self)
        self.phase = phase
        self.promise = promise
        sendNext()
        return promise.futureResult
    }

    private func sendNext() {
        guard let phase, let context else { return }
        guard let index = phase.cursor.take() else { return finish(.phaseDone) }
        tally.sent += 1
        let now = NIODeadline.now()
        guard let due = phase.scheduledTime(of: index), due > now else {
            current = (index, phase.scheduledTime(of: index) ?? now)
            return send()
        }
        current = (index, due)
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { self.send() }
    }

    private func send() {
        timer = nil
        guard let phase, let context, let current else { return }
        var replies = 0
        if needsReset {
            context.write(wrapOutboundOut(ByteBuffer(string: "RSET\r\n")), promise: nil)
            replies = -1
            needsReset = false
        }
        stage = .commands(replies: replies, failure: nil)
        context.writeAndFlush(wrapOutboundOut(phase.requests[current.index].body), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        input.writeBuffer(&bytes)
        while let line = nextLine() {
            guard line.count >= 3, let code = Int(line.prefix(3)) else { continue }
            if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
            reply(code)
        }
        input.discardReadBytes()
    }

    private func nextLine() -> String? {
        guard let lineFeed = input.readableBytesView.firstIndex(of: 0x0A) else { return nil }
        let bytes = input.readBytes(length: lineFeed - input.readerIndex + 1) ?? []
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// One final reply line.
    private func reply(_ code: Int) {
        guard let context else { return }
        switch stage {
        case .greeting:
            guard code == 220 else { return fail("greeting \(code)") }
            stage = .lhlo
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "LHLO switchboard-bench\r\n")), promise: nil)
        case .lhlo:
            guard code == 250 else { return fail("LHLO answered \(code)") }
            stage = .idle
            ready?.succeed()
            ready = nil
        case .idle:
            break
        case .commands(let replies, let failure):
            let count = replies + 1
            // RSET (when sent), MAIL and RCPT answer 250; DATA answers 354.
            let failed = failure ?? (count <= 0 ? nil : (count < 3 ? (code / 100 == 2 ? nil : code) : nil))
            guard count == 3 else {
                stage = .commands(replies: count, failure: failed)
                return
            }
            if code == 354, failed == nil {
                stage = .data
                guard let phase, let current else { return }
                context.writeAndFlush(wrapOutboundOut(phase.requests[current.index].lmtpData ?? ByteBuffer()), promise: nil)
            } else {
                needsReset = true
                answered(failed ?? code)
            }
        case .data:
            answered(code)
        }
    }

    private func answered(_ code: Int) {
        guard let phase, let current else { return }
        let latency = NIODeadline.now() - current.since
        tally.record(status: code, latencyMs: phase.recordLatencies ? Double(latency.nanoseconds) / 1e6 : nil)
        self.current = nil
        stage = .idle
        sendNext()
    }

    private func fail(_ reason: String) {
        lastError = reason
        ready?.fail(BenchLMTPError(reason: reason))
        ready = nil
        context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lastError = "\(error)"
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        ready?.fail(BenchLMTPError(reason: lastError ?? "connection closed before LHLO was answered"))
        ready = nil
        if current != nil {
            tally.recordTransportError(lastError ?? "connection closed before the reply")
            current = nil
        }
        finish(.connectionLost)
        context.fireChannelInactive()
    }

    private func finish(_ end: BenchConnectionEnd) {
        guard let promise else { return }
        let run = BenchConnectionRun(tally: tally, end: end)
        self.promise = nil
        phase = nil
        tally = BenchTally()
        promise.succeed(run)
    }
}

struct BenchLMTPError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

extension BenchWorkload {
    /// One LMTP transaction per mail: the pipelined commands, and the message dot-stuffed with
    /// CRLF line ends and the final `.` (what an MTA sends after the `354`).
    static func lmtpRequests(mails: [[UInt8]], runID: String, count: Int, recipient: String) -> [BenchRequest] {
        let allocator = ByteBufferAllocator()
        var requests: [BenchRequest] = []
        requests.reserveCapacity(count)
        for i in 0..<count {
            let mail = BenchMail.fresh(mails[i % mails.count], prefix: "r\(runID)-\(i / mails.count).")
            let commands = ByteBuffer(string: "MAIL FROM:<bench-\(runID)-\(i)@example.net> SIZE=\(mail.count)\r\nRCPT TO:<\(recipient)>\r\nDATA\r\n")
            var data = allocator.buffer(capacity: mail.count + mail.count / 40 + 8)
            var lineStart = true
            for byte in mail {
                if lineStart, byte == UInt8(ascii: ".") { data.writeInteger(UInt8(ascii: ".")) }
                if byte == 0x0A {
                    data.writeInteger(UInt8(0x0D))
                } else if byte == 0x0D {
                    continue
                }
                data.writeInteger(byte)
                lineStart = byte == 0x0A
            }
            if !lineStart { data.writeString("\r\n") }
            data.writeString(".\r\n")
            requests.append(
                BenchRequest(
                    head: .init(version: .http1_1, method: .POST, uri: "/"), body: commands, lmtpData: data))
        }
        return requests
    }
}
