import Foundation

/// A mail server account: `smtp://`, `smtps://`, `imap://` or `imaps://` URL (an IMAP URL names the
/// mailbox in its path, default `INBOX`), with optional credentials.
public struct MailAccount: Sendable, Equatable {
    public var url: String
    public var user: String?
    public var password: String?
    /// An OAuth2 access token to log in with (SASL `XOAUTH2` or `OAUTHBEARER`) instead of the
    /// password; set per call by the adapter, which keeps the token fresh.
    public var bearer: MailBearer?
    /// The longest one command (connect, send, fetch) may take.
    public var timeout: Duration

    public init(url: String, user: String? = nil, password: String? = nil, timeout: Duration = .seconds(30)) {
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout
    }
}

/// An OAuth2 access token for a mail login and the SASL mechanism that carries it.
public struct MailBearer: Sendable, Equatable {
    /// The SASL mechanisms that carry a bearer token.
    public enum Mechanism: String, Sendable, Equatable, CaseIterable {
        /// Google's and Microsoft's `XOAUTH2`.
        case xoauth2 = "XOAUTH2"
        /// RFC 7628 `OAUTHBEARER`.
        case oauthBearer = "OAUTHBEARER"
    }

    public var token: String
    public var mechanism: Mechanism

    /// A token to log in with.
    public init(token: String, mechanism: Mechanism) {
        self.token = token
        self.mechanism = mechanism
    }
}

/// A mail command that did not work. `permanent` when retrying cannot help (the server refused a
/// recipient with a 5xx reply, a login was rejected); transient otherwise.
public struct MailTransportError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var permanent: Bool
    /// The server refused the login: with an OAuth2 token, a fresh token may get in.
    public var loginRefused: Bool

    public init(_ reason: String, permanent: Bool = false, loginRefused: Bool = false) {
        self.reason = reason
        self.permanent = permanent
        self.loginRefused = loginRefused
    }

    public var description: String { reason }
}

/// SMTP submission and IMAP mailbox access for mail adapters, supplied by the gateway (libcurl), so
/// adapters need no network code of their own. STARTTLS is used where the server offers it.
public protocol MailTransport: Sendable {
    /// Submits one RFC 5322 message: `MAIL FROM:<from>`, one `RCPT TO` per recipient.
    func send(_ message: Data, from: String, to recipients: [String], account: MailAccount) async throws(MailTransportError)
    /// UIDs of the messages in the account's mailbox without the `\Seen` flag, oldest first.
    func unseenMessages(account: MailAccount) async throws(MailTransportError) -> [UInt32]
    /// The raw message with this UID, without marking it seen.
    func fetchMessage(uid: UInt32, account: MailAccount) async throws(MailTransportError) -> Data
    /// Sets `\Seen` on the message, once it is stored.
    func markSeen(uid: UInt32, account: MailAccount) async throws(MailTransportError)

    /// Opens the account's mailbox read-only and lists what is still to be read after `position`:
    /// the messages with a greater UID when its `UIDVALIDITY` is the mailbox's; every message when
    /// it differs (the server renumbered the mailbox); the unseen ones without a position (the
    /// first read of a mailbox that may hold years of read mail). With the mailbox's
    /// `UIDVALIDITY` and whether the server offers `IDLE`.
    func mailboxSnapshot(account: MailAccount, after position: MailboxPosition?) async throws(MailTransportError) -> MailboxSnapshot
    /// Several raw messages, each without marking it seen; UIDs no longer in the mailbox are left out.
    func fetchMessages(uids: [UInt32], account: MailAccount) async throws(MailTransportError) -> [UInt32: Data]
    /// Sets `\Seen` on several messages, once they are stored.
    func markSeen(uids: [UInt32], account: MailAccount) async throws(MailTransportError)
    /// Waits in `IDLE` (RFC 2177) until a message with a UID above `uid` is in the mailbox or
    /// `timeout` passes; at once when one is there already.
    func waitForMail(account: MailAccount, after uid: UInt32, timeout: Duration) async throws(MailTransportError) -> IdleOutcome
}

extension MailTransport {
    public func mailboxSnapshot(account: MailAccount, after position: MailboxPosition?) async throws(MailTransportError) -> MailboxSnapshot {
        throw MailTransportError("this mail transport cannot track UIDs", permanent: true)
    }

    public func fetchMessages(uids: [UInt32], account: MailAccount) async throws(MailTransportError) -> [UInt32: Data] {
        var messages: [UInt32: Data] = [:]
        for uid in uids { messages[uid] = try await fetchMessage(uid: uid, account: account) }
        return messages
    }

    public func markSeen(uids: [UInt32], account: MailAccount) async throws(MailTransportError) {
        for uid in uids { try await markSeen(uid: uid, account: account) }
    }

    public func waitForMail(account: MailAccount, after uid: UInt32, timeout: Duration) async throws(MailTransportError) -> IdleOutcome {
        .unsupported
    }
}
