import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import SwitchboardTransport
import Testing

/// ``CurlMailTransport`` against real servers: aiosmtpd and Dovecot, started per test on free
/// loopback ports, so tests run in parallel without sharing state.
@Suite("Mail transport: SMTP")
struct MailSMTPTests {
    let transport = CurlMailTransport()

    @Test("a message arrives byte for byte with its envelope; bare LF becomes CRLF", .integration)
    func deliversExactBytes() async throws {
        try await SMTPSink.with { sink in
            var message = Data("From: Ana <ana@example.com>\nTo: c@example.org\nSubject: =?UTF-8?B?w7FhbmR1?=\n\n".utf8)
            message += Data("Grüße, señor — 日本語\n.a line starting with a dot\n.\nFrom the start\r\nlast".utf8)
            message += Data([0xE9, 0xFF, 0x0A])  // 8-bit bytes that are not UTF-8 must survive too
            try await transport.send(
                message, from: "support@example.com", to: ["c@example.org", "d@example.org"],
                account: MailAccount(url: sink.url, timeout: .seconds(10)))
            let received = try sink.messages()
            #expect(received.count == 1)
            var expected = Data("From: Ana <ana@example.com>\r\nTo: c@example.org\r\nSubject: =?UTF-8?B?w7FhbmR1?=\r\n\r\n".utf8)
            expected += Data("Grüße, señor — 日本語\r\n.a line starting with a dot\r\n.\r\nFrom the start\r\nlast".utf8)
            expected += Data([0xE9, 0xFF, 0x0D, 0x0A])
            #expect(received.first?.data == expected)
            #expect(received.first?.envelope["mail_from"] as? String == "support@example.com")
            #expect(received.first?.envelope["rcpt_tos"] as? [String] == ["c@example.org", "d@example.org"])
        }
    }

    @Test("a recipient refused with 550 is a permanent failure quoting the server", .integration)
    func rejectedRecipientIsPermanent() async throws {
        try await SMTPSink.with(["--reject", "^nobody@"]) { sink in
            let account = MailAccount(url: sink.url, timeout: .seconds(10))
            let error = await #expect(throws: MailTransportError.self) {
                try await transport.send(
                    Data("Subject: x\r\n\r\nhi\r\n".utf8), from: "support@example.com",
                    to: ["nobody@example.org"], account: account)
            }
            #expect(error?.permanent == true)
            #expect(error?.reason.contains("550") == true)
            #expect(error?.reason.contains("User unknown") == true, "\(String(describing: error))")
            // The connection (or a fresh one) still works for the next message.
            try await transport.send(
                Data("Subject: y\r\n\r\nhi\r\n".utf8), from: "support@example.com",
                to: ["somebody@example.org"], account: account)
            #expect(try sink.messages().map { $0.envelope["rcpt_tos"] as? [String] } == [["somebody@example.org"]])
        }
    }

    @Test("a 451 answer is transient", .integration)
    func temporaryFailureIsTransient() async throws {
        try await SMTPSink.with(["--tempfail", "^later@"]) { sink in
            let error = await #expect(throws: MailTransportError.self) {
                try await transport.send(
                    Data("Subject: x\r\n\r\nhi\r\n".utf8), from: "support@example.com",
                    to: ["later@example.org"], account: MailAccount(url: sink.url, timeout: .seconds(10)))
            }
            #expect(error?.permanent == false)
            #expect(error?.reason.contains("451") == true)
        }
    }

    @Test("an unreachable server is transient")
    func unreachableIsTransient() async throws {
        let account = MailAccount(url: "smtp://127.0.0.1:\(try unusedPort())", timeout: .seconds(5))
        let error = await #expect(throws: MailTransportError.self) {
            try await transport.send(Data("Subject: x\r\n\r\nhi\r\n".utf8), from: "a@example.com", to: ["b@example.org"], account: account)
        }
        #expect(error?.permanent == false)
        #expect(error?.reason.contains("connection refused") == true)
    }

    @Test("credentials are used for AUTH; a refused login is permanent", .integration)
    func authenticates() async throws {
        try await SMTPSink.with(["--auth", "mailer:pa55"]) { sink in
            let message = Data("Subject: x\r\n\r\nhi\r\n".utf8)
            try await transport.send(
                message, from: "a@example.com", to: ["b@example.org"],
                account: MailAccount(url: sink.url, user: "mailer", password: "pa55", timeout: .seconds(10)))
            #expect(try sink.messages().first?.envelope["auth_login"] as? String == "mailer")
            let error = await #expect(throws: MailTransportError.self) {
                try await transport.send(
                    message, from: "a@example.com", to: ["b@example.org"],
                    account: MailAccount(url: sink.url, user: "mailer", password: "wrong", timeout: .seconds(10)))
            }
            #expect(error?.permanent == true)
            #expect(error?.reason.contains("wrong") == false)
        }
    }

    @Test("addresses that could inject SMTP commands and non-SMTP URLs are refused before connecting")
    func refusesBadInput() async throws {
        let account = MailAccount(url: "smtp://127.0.0.1:1")
        for (from, to) in [("a@example.com", ["b@example.org>\r\nRSET"]), ("a@example.com\r\n", ["b@example.org"]), ("a@example.com", [])] {
            let error = await #expect(throws: MailTransportError.self) {
                try await transport.send(Data("x\r\n".utf8), from: from, to: to, account: account)
            }
            #expect(error?.permanent == true)
        }
        let error = await #expect(throws: MailTransportError.self) {
            try await transport.send(
                Data("x\r\n".utf8), from: "a@example.com", to: ["b@example.org"],
                account: MailAccount(url: "http://127.0.0.1:1/"))
        }
        #expect(error?.permanent == true)
    }
}

@Suite("Mail transport: IMAP")
struct MailIMAPTests {
    let transport = CurlMailTransport()

    static let first = Data(
        "From: Carmen <carmen@example.org>\r\nSubject: Pedido\r\n\r\nHola, ¿dónde está mi pedido?\r\n* not a response\r\nA001 OK neither\r\n{5}\r\n"
            .utf8)
    // No NUL: IMAP cannot carry it in a literal, and Dovecot sends 0x80 in its place.
    static let second = Data("From: b@example.org\r\nSubject: two\r\n\r\n".utf8) + Data([0xE9, 0x80, 0xFF, 0x0D, 0x0A])

    @Test("unseen messages are listed, fetched byte for byte without \\Seen, and marked seen on request", .integration)
    func pollingCycle() async throws {
        try await DovecotServer.with { server in
            let account = MailAccount(url: server.url, user: DovecotServer.user, password: DovecotServer.password, timeout: .seconds(10))
            #expect(try await transport.unseenMessages(account: account) == [])
            try server.deliver(Self.first)
            try server.deliver(Self.second)
            let uids = try await transport.unseenMessages(account: account)
            #expect(uids.count == 2)
            #expect(uids == uids.sorted())
            var fetched: [Data] = []
            for uid in uids { fetched.append(try await transport.fetchMessage(uid: uid, account: account)) }
            #expect(Set(fetched) == [Self.first, Self.second], "\(fetched.map { Array($0) })")
            #expect(try server.seenCount() == 0)
            #expect(try await transport.unseenMessages(account: account) == uids)

            try await transport.markSeen(uid: uids[0], account: account)
            #expect(try await transport.unseenMessages(account: account) == [uids[1]])
            #expect(try server.seenCount() == 1)
            try await transport.markSeen(uid: uids[1], account: account)
            #expect(try await transport.unseenMessages(account: account) == [])
            // Marking again is harmless: a retry after a lost answer must not fail.
            try await transport.markSeen(uid: uids[1], account: account)
        }
    }

    @Test("a large message is fetched whole, across many reads", .integration)
    func largeMessage() async throws {
        try await DovecotServer.with { server in
            var message = Data("From: big@example.org\r\nSubject: attachment\r\n\r\n".utf8)
            let line = Data("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\r\n".utf8)
            for _ in 0..<80_000 { message += line }  // about 6.5 MB
            try server.deliver(message)
            let account = MailAccount(url: server.url, user: DovecotServer.user, password: DovecotServer.password, timeout: .seconds(30))
            let uids = try await transport.unseenMessages(account: account)
            #expect(uids.count == 1)
            let fetched = try await transport.fetchMessage(uid: uids[0], account: account)
            #expect(fetched.count == message.count)
            #expect(fetched == message)
        }
    }

    @Test("a wrong password, a missing mailbox and a missing UID are permanent", .integration)
    func permanentFailures() async throws {
        try await DovecotServer.with { server in
            let missing = MailAccount(
                url: "imap://127.0.0.1:\(server.port)/Archive", user: DovecotServer.user,
                password: DovecotServer.password, timeout: .seconds(10))
            let mailbox = await #expect(throws: MailTransportError.self) { try await transport.unseenMessages(account: missing) }
            #expect(mailbox?.permanent == true, "\(String(describing: mailbox))")

            let account = MailAccount(url: server.url, user: DovecotServer.user, password: DovecotServer.password, timeout: .seconds(10))
            let uid = await #expect(throws: MailTransportError.self) { try await transport.fetchMessage(uid: 4242, account: account) }
            #expect(uid?.permanent == true)

            // Last: after a refused login Dovecot slows down every login from this address.
            let wrong = MailAccount(url: server.url, user: DovecotServer.user, password: "nope", timeout: .seconds(10))
            let login = await #expect(throws: MailTransportError.self) { try await transport.unseenMessages(account: wrong) }
            #expect(login?.permanent == true)
            #expect(login?.reason.contains("nope") == false)
        }
    }

    @Test("imaps:// and STARTTLS on imap:// verify the server against the configured CA", .integration)
    func tls() async throws {
        try await DovecotServer.with(tls: true) { server in
            try server.deliver(Self.first)
            let trusting = CurlMailTransport(caCertificatesPath: server.certificate)
            for url in ["imaps://127.0.0.1:\(server.imapsPort)/INBOX", server.url] {
                let account = MailAccount(url: url, user: DovecotServer.user, password: DovecotServer.password, timeout: .seconds(10))
                let uids = try await trusting.unseenMessages(account: account)
                #expect(uids.count == 1)
                #expect(try await trusting.fetchMessage(uid: uids[0], account: account) == Self.first)
            }
            // Without the CA the self-signed certificate is refused, and nothing is sent in clear.
            let account = MailAccount(
                url: "imaps://127.0.0.1:\(server.imapsPort)/INBOX", user: DovecotServer.user,
                password: DovecotServer.password, timeout: .seconds(10))
            let error = await #expect(throws: MailTransportError.self) { try await transport.unseenMessages(account: account) }
            #expect(error?.permanent == false)
        }
    }

    @Test("an unreachable server is transient; a server that never answers times out")
    func unreachableAndSilent() async throws {
        let refused = MailAccount(url: "imap://127.0.0.1:\(try unusedPort())/INBOX", user: "u", password: "p", timeout: .seconds(5))
        let error = await #expect(throws: MailTransportError.self) { try await transport.unseenMessages(account: refused) }
        #expect(error?.permanent == false)

        // A listening socket nobody accepts from: the connect succeeds, the greeting never comes.
        let silent = try SilentListener()
        defer { silent.close() }
        let start = ContinuousClock.now
        let account = MailAccount(url: "imap://127.0.0.1:\(silent.port)/INBOX", user: "u", password: "p", timeout: .milliseconds(700))
        let timeout = await #expect(throws: MailTransportError.self) { try await transport.unseenMessages(account: account) }
        #expect(timeout?.permanent == false)
        // Generous: only a hang must fail (a loaded machine delays the timer, not by a minute).
        #expect(ContinuousClock.now - start < .seconds(60))
    }
}

/// A loopback socket in the listening state that never accepts.
private struct SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                bind(fd, sockaddr, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, sockaddr, &length) == 0
            }
        }
        guard ok else { throw SupportError(message: "listen failed") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
