import Foundation
import Logging

/// One configured channel account (Camel's "endpoint"): decodes what the channel sends and delivers
/// what agents reply. Plain enough to be stored as `any ChannelAdapter`.
public protocol ChannelAdapter: Sendable {
    /// The configured id; it appears in URLs as `/hooks/{id}`.
    var id: String { get }
    /// What the channel allows; the core enforces it before a reply is queued.
    var capabilities: AdapterCapabilities { get }
    /// How the adapter is doing now (default: running).
    var state: AdapterState { get }
    /// The mailboxes it reads, each with its health and lag (default: none).
    var mailboxes: [MailboxStatus] { get }
    /// The identity namespace this adapter can send to (`email`, `phone` …), so an agent can reply
    /// through it to a customer who wrote elsewhere. Nil: only to those who wrote through it.
    var identityChannel: String? { get }

    /// Verifies and decodes one request made to `/hooks/{id}`. Throws ``InboundError`` for
    /// requests that must be refused. Must not perform outbound calls: platforms wait on it.
    func receive(_ request: InboundRequest) async throws -> InboundResult

    /// A reason this particular reply must not go out (e.g. a public post the adapter does not
    /// answer in public), checked before it is queued; nil when it may.
    func refusal(for reply: ReplyContext) -> String?

    /// Whether `address`, an address a customer wrote from, can be written to at all. An adapter
    /// that files a message without a usable sender under a placeholder address (an e-mail with no
    /// From) says no for it: a reply then goes to an address an agent linked to the customer on
    /// ``identityChannel``, and with none, ``refusal(for:)`` tells the agent why it cannot go out.
    func canReach(_ address: String) -> Bool

    /// Sends one reply to the customer. Returns what the platform said, or throws
    /// ``DeliveryFailure`` (transient failures are retried by the outbox, permanent ones are not).
    func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt

    /// How this adapter fetches media its platform only names (nil: it never needs to).
    var mediaFetcher: (any MediaFetcher)? { get }
}

extension ChannelAdapter {
    public var identityChannel: String? { nil }
    public var state: AdapterState { .running }
    public var mailboxes: [MailboxStatus] { [] }
    public func refusal(for reply: ReplyContext) -> String? { nil }
    public func canReach(_ address: String) -> Bool { true }
    public var mediaFetcher: (any MediaFetcher)? { nil }
}

/// What an adapter is told about a reply before it is queued.
public struct ReplyContext: Sendable {
    public var to: String
    public var threadRef: String?
    public var inReplyTo: String?
    public var text: String

    public init(to: String, threadRef: String?, inReplyTo: String?, text: String) {
        self.to = to
        self.threadRef = threadRef
        self.inReplyTo = inReplyTo
        self.text = text
    }
}

/// An adapter with work of its own besides answering requests: polling a mailbox, tailing a CDR
/// file, supervising an external process. The gateway runs it for as long as it runs, restarting it
/// with backoff when it throws, and cancels it on shutdown.
public protocol BackgroundChannelAdapter: ChannelAdapter {
    /// Runs until cancelled, handing what it finds to `sink`. Must return promptly on cancellation.
    func run(sink: any InboundSink) async throws
    /// Whether, with several gateways on one database, this work runs on the elected one only
    /// (polling a mailbox, tailing a file: the default) or on every gateway (a process that also
    /// answers this gateway's hooks and deliveries).
    var runsOnLeaderOnly: Bool { get }
}

extension BackgroundChannelAdapter {
    public var runsOnLeaderOnly: Bool { true }
}

/// How an adapter is doing, as `/readyz` and the metrics show it.
public enum AdapterState: Sendable, Equatable {
    case running
    /// Working below par (an external process restarting, a mailbox unreachable), with the reason.
    case degraded(String)
}

/// Where a polling adapter hands decoded messages; returns once they are durably stored.
public protocol InboundSink: Sendable {
    func store(_ events: [InboundEvent], adapter: String) async throws -> [IngestAcknowledgement]
    /// Where a mailbox-reading adapter keeps how far it has read; nil where nothing is kept (an
    /// adapter then falls back to what the mailbox itself says, e.g. `\Seen`).
    var mailboxPositions: (any MailboxPositions)? { get }
}

extension InboundSink {
    public var mailboxPositions: (any MailboxPositions)? { nil }
}

/// The answer of ``InboundSink/store(_:adapter:)`` for one event, in order.
public enum IngestAcknowledgement: Sendable, Equatable {
    case stored(messageID: Int64)
    case duplicate(messageID: Int64)
    case ignored
}

/// Builds adapters of one `type:` from their configuration (Camel's "component").
public protocol ChannelAdapterFactory: Sendable {
    /// The `type:` value in the configuration, e.g. `webhook`.
    var type: String { get }
    /// Reads this adapter's keys from `config`. Unknown or invalid keys are reported through
    /// `config` (they become `file:line: message` errors); throw only when nothing can be built.
    func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter
}

/// What the gateway hands every adapter it builds.
public struct AdapterContext: Sendable {
    public var logger: Logger
    public var transport: any HTTPTransport
    /// SMTP and IMAP for mail adapters; nil where the gateway was built without it.
    public var mail: (any MailTransport)?
    /// The gateway's public base URL (for signatures computed over the public URL).
    public var publicURL: String
    /// Reads a secret named by a `*_env` key.
    public var environment: @Sendable (String) -> String?
    /// Small values adapters keep across restarts; the gateway attaches its store once open.
    public var values: AdapterValuesSlot

    public init(
        logger: Logger, transport: any HTTPTransport, publicURL: String, mail: (any MailTransport)? = nil,
        environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
        values: AdapterValuesSlot = AdapterValuesSlot()
    ) {
        self.values = values
        self.mail = mail
        self.logger = logger
        self.transport = transport
        self.publicURL = publicURL
        self.environment = environment
    }
}

/// An adapter that tells its platform something once what a hook brought is durably stored: a
/// Telegram button press is answered (`answerCallbackQuery`) so the user's spinner stops.
public protocol AfterStoredAdapter: ChannelAdapter {
    /// Called with the events of one hook request that are stored now or were before (never the
    /// ignored ones), once they are durable and apart from the hook's answer, which it never
    /// delays. It may call the platform; a failure is only logged, and never undoes or fails what
    /// was stored.
    func afterStored(_ events: [InboundEvent]) async throws
}
