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
    private var progress = BenchRun()
    private var ready: EventLoopPromise<Void>?
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
        guard let context, context.channel.isActive, !progress.isRunning, case .idle = stage else {
            return eventLoop.makeSucceededFuture(BenchConnectionRun(tally: BenchTally(), end: .connectionLost))
        }
        let result = progress.start(phase, on: context.eventLoop)
        sendNext()
        return result
    }

    private func sendNext() {
        guard let context else { return }
        switch progress.claimNext() {
        case .send: send()
        case .wait(let due): progress.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { self.send() }
        case .stop: break
        }
    }

    private func send() {
        progress.timer = nil
        guard let context, let request = progress.request else { return }
        var replies = 0
        if needsReset {
            context.write(wrapOutboundOut(ByteBuffer(string: "RSET\r\n")), promise: nil)
            replies = -1
            needsReset = false
        }
        stage = .commands(replies: replies, failure: nil)
        context.writeAndFlush(wrapOutboundOut(request.body), promise: nil)
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
                guard let request = progress.request else { return }
                context.writeAndFlush(wrapOutboundOut(request.lmtpData ?? ByteBuffer()), promise: nil)
            } else {
                needsReset = true
                answered(failed ?? code)
            }
        case .data:
            answered(code)
        }
    }

    private func answered(_ code: Int) {
        guard progress.answered(status: code) else { return }
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
        ready?.fail(BenchLMTPError(reason: lastError ?? "connection closed before LHLO was answered"))
        ready = nil
        progress.connectionClosed(error: lastError ?? "connection closed before the reply")
        context.fireChannelInactive()
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
