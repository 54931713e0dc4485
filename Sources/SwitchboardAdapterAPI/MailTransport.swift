import Foundation

/// A mail server account: `smtp://`, `smtps://`, `imap://` or `imaps://` URL (an IMAP URL names the
/// mailbox in its path, default `INBOX`), with optional credentials.
public struct MailAccount: Sendable, Equatable {
    public var url: String
    public var user: String?
    public var password: String?
    /// The longest one command (connect, send, fetch) may take.
    public var timeout: Duration

    public init(url: String, user: String? = nil, password: String? = nil, timeout: Duration = .seconds(30)) {
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout
    }
}

/// A mail command that did not work. `permanent` when retrying cannot help (the server refused a
/// recipient with a 5xx reply, a login was rejected); transient otherwise.
public struct MailTransportError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var permanent: Bool

    public init(_ reason: String, permanent: Bool = false) {
        self.reason = reason
        self.permanent = permanent
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
}
