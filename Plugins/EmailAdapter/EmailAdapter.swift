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

    /// An adapter sending and polling through `mail` (the gateway's libcurl transport in production).
    public init(
        id: String, settings: EmailSettings, mail: (any MailTransport)?, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.id = id
        self.settings = settings
        self.mail = mail
        self.logger = logger
        self.now = now
        self.mailboxBoard = MailboxBoard()
        self.lanes = .shared
    }

    /// Mail has no window and no length limit worth enforcing; anyone with an address can be written to.
    /// Files of any type go as MIME parts, up to what most mail servers take in one message (25 MB;
    /// base64 makes a third more of it on the wire).
    public var capabilities: AdapterCapabilities {
        AdapterCapabilities(canInitiate: true, attachments: Self.replyFiles)
    }

    static let replyFiles = ReplyFileLimits(
        maxFiles: 10, maxTotalBytes: 25_000_000,
        kinds: ["document", "image", "audio", "video"].map { ReplyFileLimits.Kind($0, maxBytes: 25_000_000, label: "E-mail attachments") })

    /// Replies can go to any customer known by an e-mail address, whichever channel they wrote on.
    public var identityChannel: String? { "email" }

    /// Degraded while an IMAP mailbox cannot be read; running again after its next good pass.
    public var state: AdapterState { mailboxBoard.state }

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
        do {
            try await mail.send(composed.data, from: settings.address, to: [message.to] + composed.cc, account: settings.smtp)
        } catch {
            throw DeliveryFailure("SMTP \(settings.smtp.url): \(error.reason)", permanent: error.permanent)
        }
        return DeliveryReceipt(externalID: composed.messageID, state: .sent)
    }
}
