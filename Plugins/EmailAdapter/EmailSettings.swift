import Foundation
import SwitchboardAdapterAPI

/// An `email` adapter's configuration.
///
/// ```yaml
/// - id: support-mail
///   type: email
///   address: support@example.com
///   name: Example Support          # display name in From (optional)
///   smtp: {url: smtp://mail.example.com:587, user: support, password_env: SMTP_PASSWORD}
///   imap: {url: imaps://mail.example.com/INBOX, user: support, password_env: IMAP_PASSWORD, poll: 30s}
///   html_replies: false
///   attachments: {max_bytes: 10m, max_message_bytes: 25m}   # contents kept (the default)
///   secret_env: SWITCHBOARD_MAIL_SECRET   # who may post to /hooks/{id} (or open: true)
///   authentication: {authserv_id: mx.example.com, require: true}
///   lmtp: {listen: "127.0.0.1:2424"}      # the MTA delivers here directly (LMTP)
/// ```
///
/// Instead of a password, `imap` and `smtp` may log in with OAuth2 (`auth: oauth2` and an
/// `oauth2` block, see ``OAuth2Settings``), as Microsoft 365 and Google require.
///
/// `smtp` is required: an e-mail channel that cannot answer would let agents write replies that
/// can never leave, so the gap is reported at start rather than on every reply. `imap` is optional:
/// mail may arrive only through the mailgate or HTTP. The hook needs `secret_env` or an explicit
/// `open: true` (``HookAccess``), since whoever posts to it writes customer messages.
public struct EmailSettings: Sendable {
    /// The support mailbox: From of every reply, and how our own mail is recognised coming back.
    public var address: String
    public var displayName: String?
    public var smtp: MailAccount
    public var imap: MailAccount?
    /// How `smtp` logs in with OAuth2; nil: with its password (if any).
    public var smtpOAuth2: OAuth2Settings?
    /// How `imap` logs in with OAuth2; nil: with its password.
    public var imapOAuth2: OAuth2Settings?
    /// How often the IMAP mailbox is polled.
    public var pollInterval: Duration
    /// `imap.mailboxes`: the mailboxes read besides the URL's (empty: the one the URL names).
    public var mailboxNames: [String] = []

    /// The IMAP mailboxes read, each as its own account (one per `imap.mailboxes` name, or the one
    /// the URL names). They are read concurrently, each at its own pace.
    public var imapMailboxes: [MailAccount] {
        guard let imap else { return [] }
        guard !mailboxNames.isEmpty, let components = URLComponents(string: imap.url) else { return [imap] }
        return mailboxNames.map { name in
            var named = components
            named.path = "/" + name
            var account = imap
            account.url = named.string ?? imap.url
            return account
        }
    }
    /// Whether replies carry an HTML alternative besides the text.
    public var htmlReplies: Bool
    /// How much attachment content is stored with each message.
    public var attachmentLimits: AttachmentLimits
    /// Who may post to the hook.
    public var access: HookAccess {
        didSet { hookGuard = MailHookGuard(access) }
    }
    /// Whose `Authentication-Results` are trusted, and whether an unverified sender may be
    /// answered automatically; nil: not read.
    public var authentication: SenderAuthentication?
    /// The LMTP listener the MTA delivers to, when configured (``LMTPEndpoint``).
    public var lmtp: LMTPEndpoint?
    private(set) var hookGuard: MailHookGuard

    /// Settings given directly (tests, embedding).
    public init(
        address: String, displayName: String? = nil, smtp: MailAccount, imap: MailAccount? = nil,
        pollInterval: Duration = .seconds(30), htmlReplies: Bool = false, attachmentLimits: AttachmentLimits = AttachmentLimits(),
        access: HookAccess, authentication: SenderAuthentication? = nil, lmtp: LMTPEndpoint? = nil
    ) {
        self.lmtp = lmtp
        self.access = access
        hookGuard = MailHookGuard(access)
        self.authentication = authentication
        self.attachmentLimits = attachmentLimits
        self.address = address
        self.displayName = displayName
        self.smtp = smtp
        self.imap = imap
        self.pollInterval = pollInterval
        self.htmlReplies = htmlReplies
    }

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        let address = config.requiredString("address")?.trimmed ?? ""
        if !address.isEmpty, !Self.isAddress(address) {
            config.problem("address", "'\(address)' is not an e-mail address like support@example.com")
        }
        self.address = address
        displayName = config.string("name")?.trimmed
        htmlReplies = config.bool("html_replies", default: false)
        access = config.hookAccess(secretKey: "secret_env")
        hookGuard = MailHookGuard(access)
        if let section = config.section("authentication") {
            authentication = SenderAuthentication(config: section)
            section.finish()
        } else {
            authentication = nil
        }
        lmtp = config.section("lmtp").flatMap { LMTPEndpoint(config: $0, isAddress: Self.isAddress) }
        if let section = config.section("attachments") {
            attachmentLimits = AttachmentLimits(config: section)
            section.finish()
        } else {
            attachmentLimits = AttachmentLimits()
        }
        if let section = config.section("smtp") {
            (smtp, smtpOAuth2) = Self.account(section, schemes: ["smtp", "smtps"])
            section.finish()
        } else {
            config.problem(nil, "missing required key 'smtp' (how replies are sent: {url: smtp://host:587, user, password_env})")
            smtp = MailAccount(url: "")
        }
        var interval = Duration.seconds(30)
        if let section = config.section("imap") {
            let (account, oauth2) = Self.account(section, schemes: ["imap", "imaps"])
            imap = account
            imapOAuth2 = oauth2
            interval = section.duration("poll", default: interval) ?? interval
            if interval < .seconds(1) {
                section.problem("poll", "poll must be at least 1s")
                interval = .seconds(30)
            }
            mailboxNames = section.stringList("mailboxes").map(\.trimmed).filter { name in
                guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), !name.contains("/") else {
                    section.problem("mailboxes", "'\(name)' is not a mailbox name in printable ASCII without '/', like INBOX or Support")
                    return false
                }
                return true
            }
            if Set(mailboxNames).count != mailboxNames.count {
                section.problem("mailboxes", "a mailbox is named twice")
            }
            section.finish()
        } else {
            imap = nil
        }
        pollInterval = interval
    }

    private static func account(_ section: ConfigSection, schemes: [String]) -> (MailAccount, OAuth2Settings?) {
        let url = section.requiredString("url")?.trimmed ?? ""
        let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        if !url.isEmpty, !(schemes.contains(scheme) && url.contains("://")) {
            section.problem("url", "'\(url)' must be a URL starting with \(schemes.map { $0 + "://" }.joined(separator: " or "))")
        }
        let user = section.string("user")
        let oauth2 = OAuth2Settings.read(section, user: user)
        let password = oauth2 != nil || section.string("auth") == "oauth2" ? nil : section.secret("password_env")
        return (MailAccount(url: url, user: user, password: password), oauth2)
    }

    /// The domain of ``address``, for our Message-IDs.
    var domain: String {
        address.split(separator: "@").last.map(String.init) ?? "localhost"
    }

    /// Whether `address` (an LMTP `RCPT TO`) is this adapter's mailbox: `address`, one of
    /// `lmtp.recipients`, or either with a `+tag` (subaddress), compared case-insensitively.
    func isOwnMailbox(_ address: String) -> Bool {
        let given = address.trimmed.lowercased()
        guard let at = given.lastIndex(of: "@") else { return false }
        let local = given[..<at]
        let domain = given[at...]
        let base = String(local.prefix { $0 != "+" }) + String(domain)
        let own = [self.address] + (lmtp?.recipients ?? [])
        return own.contains {
            let mine = $0.lowercased()
            return mine == given || mine == base
        }
    }

    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
    }
}
