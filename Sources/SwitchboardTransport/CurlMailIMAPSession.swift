import CCurl
import Foundation
import SwitchboardAdapterAPI
import Synchronization

/// One authenticated IMAP connection that speaks the few commands the transport needs itself.
///
/// curl's IMAP URLs cannot do the job: `imap://host/INBOX;UID=n` fetches with `BODY[]`, which
/// sets `\Seen` before the message is stored, and for a custom command curl passes on only the
/// lines that start with `* `, so the literal holding a fetched message arrives cut to pieces
/// (curl 7.88, checked against Dovecot). curl still does everything worth reusing — connect, TLS
/// or STARTTLS, SASL login — through `CURLOPT_CONNECT_ONLY`; then commands go over
/// `curl_easy_send`/`curl_easy_recv`, through curl's TLS layer.
///
/// Blocking by design and confined to the thread that ``run(account:tls:_:)`` starts for it, so it
/// is not `Sendable` and never runs on the cooperative pool.
final class IMAPSession {
    private let easy: CurlEasy
    private let reply = ServerReply()
    private let socket: curl_socket_t
    private var deadline: ContinuousClock.Instant
    private let timeout: Duration
    private let cancellation: CancellationFlag
    private var reader = IMAPResponseReader()
    private var receiveBuffer = [UInt8](repeating: 0, count: 65_536)
    private var nextTag = 1
    private var farewell: String?

    /// Opens a session on a new thread, runs `body` with it, logs out and closes it.
    /// Cancelling the calling task makes the session stop at its next wait.
    static func run<T: Sendable>(
        account: MailAccount, tls: MailTLSOptions,
        _ body: @escaping @Sendable (IMAPSession) throws(MailTransportError) -> T
    ) async throws(MailTransportError) -> T {
        try MailURL.require(account.url, schemes: ["imap", "imaps"])
        let cancellation = CancellationFlag()
        let result: Result<T, MailTransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(
                        returning: Result { () throws(MailTransportError) -> T in
                            let session = try IMAPSession(account: account, tls: tls, cancellation: cancellation)
                            defer { session.close() }
                            return try body(session)
                        })
                }
                thread.name = "switchboard-imap"
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    private init(account: MailAccount, tls: MailTLSOptions, cancellation: CancellationFlag) throws(MailTransportError) {
        self.cancellation = cancellation
        deadline = .now + account.timeout
        timeout = account.timeout
        guard !cancellation.isCancelled else { throw MailTransportError("IMAP session cancelled") }
        guard let easy = CurlEasy() else { throw MailTransportError("IMAP: curl_easy_init failed") }
        self.easy = easy
        do {
            try easy.prepare(timeout: account.timeout)
            try easy.set(CURLOPT_URL, account.url)
            try easy.set(CURLOPT_PROTOCOLS_STR, "imap,imaps")
            try configureMailTLS(easy, url: account.url, tls: tls)
            try configureCredentials(easy, account: account)
            // Connect, STARTTLS and log in, then hand the connection over instead of sending SELECT.
            try easy.set(CURLOPT_CONNECT_ONLY, 1)
            try reply.attach(to: easy)
        } catch {
            try? easy.set(CURLOPT_VERBOSE, 0)
            throw MailTransportError("IMAP \(error.message)")
        }
        let code = curl_easy_perform(easy.handle)
        // On the failure paths below the session never exists, so `close()` will not run; curl
        // must not call back into `reply` while the handle is freed with it.
        func abandon() { try? easy.set(CURLOPT_VERBOSE, 0) }
        guard code == CURLE_OK else {
            defer { abandon() }
            // The server's own words ("[AUTHENTICATIONFAILED] …") say more than curl's code.
            var reason = "IMAP \(easy.error(for: code).message)"
            if let line = reply.last { reason += " (server said: \(line))" }
            let permanent = code == CURLE_LOGIN_DENIED || code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL
            throw MailTransportError(reason, permanent: permanent, loginRefused: code == CURLE_LOGIN_DENIED)
        }
        var socket = CURL_SOCKET_BAD
        guard sb_easy_getinfo_socket(easy.handle, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK, socket != CURL_SOCKET_BAD else {
            abandon()
            throw MailTransportError("IMAP: connection lost after login")
        }
        self.socket = socket
    }

    /// Sends one tagged command and collects the untagged responses until its tagged answer.
    /// Throws when the answer is `NO` or `BAD`.
    @discardableResult
    func command(_ command: String) throws(MailTransportError) -> (untagged: [IMAPResponseLine], status: String) {
        let tag = "S\(nextTag)"
        nextTag += 1
        try write(Array("\(tag) \(command)\r\n".utf8))
        var untagged: [IMAPResponseLine] = []
        while true {
            let response = try readResponse()
            if response.isTagged(tag) {
                let status = String(response.string.dropFirst(tag.count + 1))
                if status.uppercased().hasPrefix("OK") { return (untagged, status) }
                throw Self.refusal(command: command, status: status)
            }
            if response.text.starts(with: Array("* BYE".utf8)) { farewell = response.string }
            untagged.append(response)
        }
    }

    /// Polite LOGOUT (bounded by a short wait, because the answer does not matter), then the
    /// handle is freed. Verbose output is switched off first so curl's own farewell on cleanup
    /// cannot call back into ``ServerReply``.
    private func close() {
        if farewell == nil, !cancellation.isCancelled, ContinuousClock.now < deadline {
            _ = try? command("LOGOUT")
        }
        try? easy.set(CURLOPT_VERBOSE, 0)
    }

    /// RFC 5530 codes that will come back the same however often the command is retried.
    private static let permanentCodes: Set<String> = [
        "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "NONEXISTENT", "NOPERM", "CANNOT", "CLIENTBUG", "TOOBIG",
    ]
    /// RFC 5530 codes that say "not now".
    private static let transientCodes: Set<String> = ["UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG", "OVERQUOTA"]

    private static func refusal(command: String, status: String) -> MailTransportError {
        let words = command.split(separator: " ")
        let verb = words.prefix(words.first?.uppercased() == "UID" ? 2 : 1).joined(separator: " ").uppercased()
        var code = ""
        if let open = status.firstIndex(of: "["), let close = status[open...].firstIndex(where: { $0 == "]" || $0 == " " }) {
            code = status[status.index(after: open)..<close].uppercased()
        }
        // BAD: the server did not understand us, and will not next time either. A mailbox that
        // cannot be opened is a configuration problem (Dovecot says "NO Mailbox doesn't exist"
        // without a code) unless the server says it is temporary.
        let permanent =
            status.uppercased().hasPrefix("BAD") || permanentCodes.contains(code)
            || (["SELECT", "EXAMINE"].contains(verb) && !transientCodes.contains(code))
        return MailTransportError("IMAP \(verb) refused: \(status.prefix(300))", permanent: permanent)
    }

    /// IDLE (RFC 2177) until the server announces a new message (`* n EXISTS`) or `end` passes,
    /// then `DONE`. True when a message arrived. The session's own time limit moves past `end`.
    func idle(until end: ContinuousClock.Instant) throws(MailTransportError) -> Bool {
        deadline = max(deadline, end + timeout)
        let tag = "S\(nextTag)"
        nextTag += 1
        try write(Array("\(tag) IDLE\r\n".utf8))
        var arrived = false
        var idling = false
        while !arrived {
            guard let response = try readResponse(softEnd: idling ? end : nil) else { break }
            if response.text.first == UInt8(ascii: "+") {
                idling = true
            } else if response.isTagged(tag) {
                // Refused (or ended by the server) before DONE.
                let status = String(response.string.dropFirst(tag.count + 1))
                if status.uppercased().hasPrefix("OK") { return false }
                throw Self.refusal(command: "IDLE", status: status)
            } else if response.text.starts(with: Array("* BYE".utf8)) {
                farewell = response.string
            } else if IMAPResponseParser.isExists(response) {
                arrived = true
            }
        }
        try write(Array("DONE\r\n".utf8))
        while true {
            let response = try readResponse()
            guard response.isTagged(tag) else { continue }
            let status = String(response.string.dropFirst(tag.count + 1))
            guard status.uppercased().hasPrefix("OK") else { throw Self.refusal(command: "IDLE", status: status) }
            return arrived
        }
    }

    private func readResponse() throws(MailTransportError) -> IMAPResponseLine {
        while true {
            if let response = try reader.next() { return response }
            _ = try receive(softEnd: nil)
        }
    }

    /// The next response, or nil when none is complete by `softEnd`.
    private func readResponse(softEnd: ContinuousClock.Instant?) throws(MailTransportError) -> IMAPResponseLine? {
        while true {
            if let response = try reader.next() { return response }
            guard try receive(softEnd: softEnd) else { return nil }
        }
    }

    /// Reads what is there, waiting only when curl says nothing is: with TLS, data may sit
    /// decrypted inside curl while the socket itself has nothing new, so polling first could hang.
    /// False when nothing came by `softEnd`.
    private func receive(softEnd: ContinuousClock.Instant?) throws(MailTransportError) -> Bool {
        while true {
            var count = 0
            let code = receiveBuffer.withUnsafeMutableBytes { buffer in
                curl_easy_recv(easy.handle, buffer.baseAddress, buffer.count, &count)
            }
            if code == CURLE_AGAIN {
                if let softEnd, ContinuousClock.now >= softEnd { return false }
                try wait(for: Int16(POLLIN))
                continue
            }
            guard code == CURLE_OK else { throw lost(code) }
            guard count > 0 else {
                throw MailTransportError("IMAP: server closed the connection" + (farewell.map { " (\($0))" } ?? ""))
            }
            reader.append(receiveBuffer[0..<count])
            return true
        }
    }

    private func write(_ bytes: [UInt8]) throws(MailTransportError) {
        var sent = 0
        while sent < bytes.count {
            var count = 0
            let code = bytes.withUnsafeBytes { buffer in
                curl_easy_send(easy.handle, buffer.baseAddress! + sent, buffer.count - sent, &count)
            }
            if code == CURLE_AGAIN {
                try wait(for: Int16(POLLOUT))
                continue
            }
            guard code == CURLE_OK else { throw lost(code) }
            sent += count
        }
    }

    /// Short poll slices, so a cancelled task is noticed within a quarter second.
    private func wait(for events: Int16) throws(MailTransportError) {
        if cancellation.isCancelled { throw MailTransportError("IMAP session cancelled") }
        let remaining = deadline - .now
        guard remaining > .zero else { throw MailTransportError("IMAP timed out: no answer from the server") }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        let slice = Int32(min(CurlEasy.milliseconds(remaining), 250))
        if poll(&descriptor, 1, slice) < 0 && errno != EINTR {
            throw MailTransportError("IMAP: poll failed (errno \(errno))")
        }
    }

    private func lost(_ code: CURLcode) -> MailTransportError {
        MailTransportError("IMAP connection lost: \(String(cString: curl_easy_strerror(code)))")
    }
}

/// Set by the task's cancellation handler, read by the session thread between waits.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// Checks on the account URL that need no network.
enum MailURL {
    static func require(_ url: String, schemes: Set<String>) throws(MailTransportError) {
        guard let end = url.range(of: "://"), schemes.contains(url[..<end.lowerBound].lowercased()) else {
            let expected = schemes.sorted().map { "\($0)://" }.joined(separator: " or ")
            throw MailTransportError("invalid mail URL \(url.debugDescription): expected \(expected)", permanent: true)
        }
    }

    /// The mailbox an IMAP URL names in its path (RFC 5092), `INBOX` when it names none, as an
    /// IMAP quoted string ready for SELECT/EXAMINE.
    static func quotedMailbox(_ url: String) throws(MailTransportError) -> String {
        var mailbox = "INBOX"
        if let components = URLComponents(string: url) {
            // `;UIDVALIDITY=…` and friends are URL parameters, not part of the name.
            let path = components.path.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            let trimmed = path.drop { $0 == "/" }
            if !trimmed.isEmpty { mailbox = String(trimmed) }
        }
        // Names outside ASCII need modified UTF-7 (RFC 3501 §5.1.3), which is not implemented.
        guard mailbox.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw MailTransportError("IMAP mailbox name \(mailbox.debugDescription) must be printable ASCII", permanent: true)
        }
        let escaped = mailbox.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }
}
