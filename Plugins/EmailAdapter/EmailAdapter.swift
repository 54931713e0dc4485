import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// A support mailbox (`type: email`): raw RFC 5322 messages in (POSTed to `/hooks/{id}` by the
/// mailgate, or polled over IMAP), threaded replies out over SMTP.
///
/// The customer is the `From` address. Mail a machine wrote (auto-replies, bounces, our own mail
/// coming back) is decoded as ``InboundMessage/Kind/automated``, so it is recorded but never
/// acknowledged: that, and `Auto-Submitted` on our acknowledgements, keeps mail loops out.
public struct EmailAdapter: BackgroundChannelAdapter {
    /// The configured id; the hook is `/hooks/{id}`.
    public let id: String
    public let settings: EmailSettings
    let mail: (any MailTransport)?
    let logger: Logger
    /// Each IMAP mailbox's health and lag, shared by the adapter's copies.
    let mailboxBoard: MailboxBoard
    /// The clock for `Date:` headers (tests pin it).
    let now: @Sendable () -> Date
    /// Where mail is decoded (see ``DecodingLanes``).
    let lanes: DecodingLanes
    /// OAuth2 access tokens for `imap`/`smtp` with `auth: oauth2`.
    let oauth2: OAuth2Sources

    /// An adapter sending and polling through `mail` (the gateway's libcurl transport in
    /// production). With `auth: oauth2`, access tokens are fetched over `http` and a rotated
    /// refresh token is kept in `values`.
    public init(
        id: String, settings: EmailSettings, mail: (any MailTransport)?, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }, http: (any HTTPTransport)? = nil,
        values: AdapterValuesSlot = AdapterValuesSlot()
    ) {
        self.id = id
        self.settings = settings
        self.mail = mail
        self.logger = logger
        self.now = now
        self.mailboxBoard = MailboxBoard()
        self.lanes = .shared
        if let http {
            oauth2 = OAuth2Sources(settings: settings, adapter: id, transport: http, values: values, logger: logger)
        } else {
            oauth2 = .none
        }
    }

    /// How replies log in to `smtp`.
    var smtpLogin: MailLogin {
        MailLogin(account: settings.smtp, oauth2: oauth2.smtp, settings: settings.smtpOAuth2)
    }

    /// How one IMAP mailbox (an entry of ``EmailSettings/imapMailboxes``) logs in.
    func imapLogin(_ account: MailAccount) -> MailLogin {
        MailLogin(account: account, oauth2: oauth2.imap, settings: settings.imapOAuth2)
    }

    /// Mail has no window and no length limit worth enforcing; anyone with an address can be written to;
    /// a reply copies people (`Cc`). Files of any type go as MIME parts, up to what most mail servers
    /// take in one message (25 MB; base64 makes a third more of it on the wire).
    public var capabilities: AdapterCapabilities {
        AdapterCapabilities(canInitiate: true, attachments: Self.replyFiles, copies: true)
    }

    static let replyFiles = ReplyFileLimits(
        maxFiles: 10, maxTotalBytes: 25_000_000,
        kinds: ["document", "image", "audio", "video"].map { ReplyFileLimits.Kind($0, maxBytes: 25_000_000, label: "E-mail attachments") })

    /// Replies can go to any customer known by an e-mail address, whichever channel they wrote on.
    public var identityChannel: String? { "email" }

    /// Degraded while an IMAP mailbox cannot be read or no OAuth2 access token can be had;
    /// running again after the next good pass and the next token.
    public var state: AdapterState {
        var reasons = mailboxBoard.problems
        for problem in oauth2.problems where !reasons.contains(problem) { reasons.append(problem) }
        return reasons.isEmpty ? .running : .degraded(reasons.joined(separator: "; "))
    }

    /// The IMAP mailboxes read, with their health and lag.
    public var mailboxes: [MailboxStatus] { mailboxBoard.all }

    /// Decodes the raw message in the body, posted as `message/rfc822` by a sender proving the
    /// adapter's secret (see ``MailHookGuard``).
    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        guard request.method == "POST" else {
            throw InboundError.methodNotAllowed("POST the raw RFC 5322 message (Content-Type: message/rfc822)")
        }
        try settings.hookGuard.check(request)
        return .events(try await decode(request.body, envelope: try settings.hookGuard.envelope(request)))
    }

    /// The same decoding for the hook, LMTP and the IMAP poll, on the decoding lanes.
    func decode(_ raw: [UInt8], envelope: MailEnvelope? = nil) async throws(InboundError) -> [InboundEvent] {
        let settings = settings
        let id = id
        return try await lanes.run { () throws(InboundError) in
            try EmailDecoder.events(
                raw, ownAddress: settings.address, ownDomain: settings.domain, limits: settings.attachmentLimits,
                authentication: settings.authentication, envelope: envelope, adapter: id)
        }
    }

    /// Mail that came without any usable sender is filed under a placeholder (``UnknownSender``):
    /// nothing can be sent there.
    public func canReach(_ address: String) -> Bool {
        !UnknownSender.isPlaceholder(address)
    }

    /// Replies to the placeholder of mail without a sender are refused until an agent links an
    /// address (the desk then replies there instead).
    public func refusal(for reply: ReplyContext) -> String? {
        canReach(reply.to) ? nil : UnknownSender.refusal
    }

    /// Sends the reply over SMTP. The Message-ID is derived from the reply's id and its tag (see
    /// ``OwnMessageIDs``), so a retry after an unclear failure is recognisably the same mail; it is
    /// returned as the external id so a customer's answer naming it in `In-Reply-To` threads back.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard let mail else {
            throw DeliveryFailure("this gateway was built without a mail transport", permanent: true)
        }
        guard EmailSettings.isAddress(message.to) else {
            throw DeliveryFailure("'\(message.to)' is not an e-mail address", permanent: true)
        }
        let composed = ReplyComposer(settings: settings).compose(message, date: now())
        let from = settings.address
        do {
            try await smtpLogin.run { account throws(MailTransportError) in
                try await mail.send(composed.data, from: from, to: [message.to] + composed.cc, account: account)
            }
        } catch let error as MailTransportError {
            throw DeliveryFailure("SMTP \(settings.smtp.url): \(error.reason)", permanent: error.permanent)
        } catch {
            // No access token now: the outbox tries again later, when the provider may answer.
            throw DeliveryFailure("SMTP \(settings.smtp.url): \(error)")
        }
        return DeliveryReceipt(externalID: composed.messageID, state: .sent)
    }
}
