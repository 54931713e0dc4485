import Foundation
import Logging
import SwitchboardAdapterAPI

/// The production ``MailTransport``: SMTP submission and IMAP mailbox access over libcurl.
///
/// SMTP runs on libcurl's multi interface like ``CurlTransport``, so a send suspends the caller
/// instead of blocking a thread and connections are kept alive per server and account. IMAP runs
/// as one short authenticated session per call on a thread of its own (see ``IMAPSession`` for why
/// curl's IMAP URLs cannot be used), never on the cooperative pool.
///
/// Passwords and message contents are never logged. Create one per process and share it.
public final class CurlMailTransport: MailTransport {
    private let loop: Result<CurlMultiLoop, TransportError>
    private let tls: MailTLSOptions
    private let logger: Logger

    /// - Parameters:
    ///   - caCertificatesPath: A PEM file of CA certificates trusted instead of the system's, for
    ///     servers with a private CA (or a self-signed certificate in tests).
    ///   - logger: Receives loop start/stop and unexpected curl failures, not per-message noise.
    public init(caCertificatesPath: String? = nil, logger: Logger = Logger(label: "switchboard.mail")) {
        self.tls = MailTLSOptions(caFile: caCertificatesPath)
        self.logger = logger
        do {
            // Few parallel submissions per server are plenty, and MTAs throttle clients that open many.
            loop = .success(try CurlMultiLoop(maxConnectionsPerHost: 4, logger: logger))
        } catch {
            // Keeps the initializer non-throwing; every send reports why instead.
            logger.error("curl mail transport unavailable", metadata: ["error": "\(error.message)"])
            loop = .failure(error)
        }
    }

    deinit {
        shutdown()
    }

    /// Stops the SMTP loop thread; later sends fail with "transport shut down". IMAP calls in
    /// flight finish on their own threads.
    public func shutdown() {
        if case .success(let loop) = loop { loop.shutdown() }
    }

    /// Bare LF (and bare CR) line ends become CRLF and a final CRLF is added when missing, as
    /// SMTP requires; every other byte is sent as given, 8-bit included. Dot-stuffing is curl's.
    public func send(
        _ message: Data, from: String, to recipients: [String], account: MailAccount
    ) async throws(MailTransportError) {
        let envelope = try SMTPEnvelope(from: from, recipients: recipients)
        try MailURL.require(account.url, schemes: ["smtp", "smtps"])
        let loop: CurlMultiLoop
        switch self.loop {
        case .success(let running): loop = running
        case .failure(let error): throw MailTransportError(error.message)
        }
        let transfer = SMTPTransfer(
            account: account, envelope: envelope, payload: SMTPEnvelope.wireFormat(message), tls: tls)
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    transfer.completion.install(continuation)
                    loop.submit(transfer)
                }
            } onCancel: {
                loop.cancel(transfer)
            }
        } catch {
            throw SMTPTransfer.mailError(error)
        }
        logger.debug("mail submitted", metadata: ["recipients": "\(recipients.count)", "bytes": "\(message.count)"])
    }

    public func unseenMessages(account: MailAccount) async throws(MailTransportError) -> [UInt32] {
        let mailbox = try MailURL.quotedMailbox(account.url)
        return try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            // EXAMINE opens read-only: nothing in this session can change a flag.
            try session.command("EXAMINE \(mailbox)")
            let response = try session.command("UID SEARCH UNSEEN")
            return IMAPResponseParser.searchResults(response.untagged).sorted()
        }
    }

    public func fetchMessage(uid: UInt32, account: MailAccount) async throws(MailTransportError) -> Data {
        let mailbox = try MailURL.quotedMailbox(account.url)
        return try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            // Read-only mailbox and BODY.PEEK: belt and braces, because a message marked seen
            // before it is stored would be skipped by the next poll and lost.
            try session.command("EXAMINE \(mailbox)")
            let response = try session.command("UID FETCH \(uid) (BODY.PEEK[])")
            guard let body = IMAPResponseParser.fetchedBody(response.untagged, uid: uid) else {
                throw MailTransportError("IMAP: no message with UID \(uid) in \(mailbox)", permanent: true)
            }
            return Data(body)
        }
    }

    public func markSeen(uid: UInt32, account: MailAccount) async throws(MailTransportError) {
        let mailbox = try MailURL.quotedMailbox(account.url)
        try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            try session.command("SELECT \(mailbox)")
            // .SILENT: the new flags need not be echoed back.
            try session.command("UID STORE \(uid) +FLAGS.SILENT (\\Seen)")
        }
    }
}

extension CurlMailTransport {
    public func mailboxSnapshot(account: MailAccount, after position: MailboxPosition?) async throws(MailTransportError) -> MailboxSnapshot {
        let mailbox = try MailURL.quotedMailbox(account.url)
        return try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            let idle = IMAPResponseParser.offersIdle(try session.command("CAPABILITY").untagged)
            let examined = try session.command("EXAMINE \(mailbox)")
            guard let validity = IMAPResponseParser.uidValidity(examined.untagged) else {
                throw MailTransportError("IMAP: \(mailbox) has no UIDVALIDITY")
            }
            let uids: [UInt32]
            if let position, position.uidValidity == validity {
                // `n:*` always includes the highest UID, even when it is below n: filtered below.
                let response = try session.command("UID SEARCH UID \(UInt64(position.lastUID) + 1):*")
                uids = IMAPResponseParser.searchResults(response.untagged).filter { $0 > position.lastUID }
            } else {
                let response = try session.command(position == nil ? "UID SEARCH UNSEEN" : "UID SEARCH ALL")
                uids = IMAPResponseParser.searchResults(response.untagged)
            }
            return MailboxSnapshot(
                uidValidity: validity, uidNext: IMAPResponseParser.uidNext(examined.untagged), uids: Array(Set(uids)).sorted(), offersIdle: idle)
        }
    }

    public func fetchMessages(uids: [UInt32], account: MailAccount) async throws(MailTransportError) -> [UInt32: Data] {
        guard !uids.isEmpty else { return [:] }
        let mailbox = try MailURL.quotedMailbox(account.url)
        return try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            try session.command("EXAMINE \(mailbox)")
            let response = try session.command("UID FETCH \(uids.map(String.init).joined(separator: ",")) (BODY.PEEK[])")
            var messages: [UInt32: Data] = [:]
            for uid in uids {
                if let body = IMAPResponseParser.fetchedBody(response.untagged, uid: uid) { messages[uid] = Data(body) }
            }
            return messages
        }
    }

    public func markSeen(uids: [UInt32], account: MailAccount) async throws(MailTransportError) {
        guard !uids.isEmpty else { return }
        let mailbox = try MailURL.quotedMailbox(account.url)
        try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            try session.command("SELECT \(mailbox)")
            try session.command("UID STORE \(uids.map(String.init).joined(separator: ",")) +FLAGS.SILENT (\\Seen)")
        }
    }

    public func waitForMail(account: MailAccount, after uid: UInt32, timeout: Duration) async throws(MailTransportError) -> IdleOutcome {
        let mailbox = try MailURL.quotedMailbox(account.url)
        let end = ContinuousClock.now + timeout
        return try await IMAPSession.run(account: account, tls: tls) { session throws(MailTransportError) in
            guard IMAPResponseParser.offersIdle(try session.command("CAPABILITY").untagged) else { return .unsupported }
            try session.command("EXAMINE \(mailbox)")
            // What arrived between the last read and this session is not announced by IDLE.
            let search = try session.command("UID SEARCH UID \(UInt64(uid) + 1):*")
            if IMAPResponseParser.searchResults(search.untagged).contains(where: { $0 > uid }) { return .newMail }
            return try session.idle(until: end) ? .newMail : .timedOut
        }
    }
}

/// TLS settings shared by SMTP and IMAP.
struct MailTLSOptions: Sendable {
    var caFile: String?
}
