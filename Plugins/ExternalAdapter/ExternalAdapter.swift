import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// A channel adapter that runs as its own process, in any language (`type: external`). The gateway
/// starts the configured command, speaks a line protocol of JSON objects over its stdin/stdout
/// (`docs/adapters.md`, `docs/adapter-protocol.schema.json`), logs its stderr, and restarts it with
/// backoff when it exits. A crash or a hang costs only this adapter: its replies stay queued.
public final class ExternalAdapter: BackgroundChannelAdapter {
    struct Shared {
        var session: ExternalSession?
        var state: AdapterState = .degraded("starting")
        /// Kept across restarts: the last `hello` is the best guess while the process is down.
        var capabilities = AdapterCapabilities()
    }

    /// The configured id (`/hooks/{id}`).
    public let id: String
    /// What to run and how.
    public let settings: ExternalSettings
    let logger: Logger
    /// Fetches attachments the process names by `url` (nil without a transport).
    let media: ExternalMedia?
    let shared = Mutex(Shared())
    private let requestCounter = Atomic<Int64>(0)
    /// The key of `secret_env`, checked before a request is forwarded.
    private let hookKey: HMACKey?

    /// The header a hook post carries with `secret_env`, as on the webhook adapter.
    public static let signatureHeader = "X-Switchboard-Signature"

    /// `logger` should carry the adapter's id as metadata (the factory's context logger does).
    public init(id: String, settings: ExternalSettings, logger: Logger, transport: (any HTTPTransport)? = nil) {
        self.id = id
        self.media = transport.map { ExternalMedia(transport: $0) }
        self.settings = settings
        self.logger = logger
        self.hookKey = settings.hookAccess.secret.map(HMACKey.init)
    }

    /// What the process declared in its last `hello` (defaults until the first one).
    public var capabilities: AdapterCapabilities { shared.withLock { $0.capabilities } }

    public var mediaFetcher: (any MediaFetcher)? { media }

    /// `.running` once the process has said `hello`; `.degraded` while it starts or restarts.
    public var state: AdapterState { shared.withLock { $0.state } }

    /// The `identity` setting: replies can go through this adapter to customers of that namespace.
    public var identityChannel: String? { settings.identityChannel }

    /// Every gateway runs the process: it answers this gateway's hooks and deliveries.
    public var runsOnLeaderOnly: Bool { false }

    /// The process id of the running adapter process, if one runs.
    public var processID: Int32? { shared.withLock { $0.session?.child.pid } }

    /// Forwards the request to the process as a `request` line and answers with its `response`
    /// (see ``HookResponse``); 503 while the process is down or when it does not answer in time,
    /// so the platform retries.
    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        if let key = hookKey {
            guard let header = request.header(Self.signatureHeader) else {
                throw InboundError.unauthorized("missing \(Self.signatureHeader) header")
            }
            guard key.verifySHA256Hex(body: request.body, signature: header, prefix: "sha256=") else {
                throw InboundError.unauthorized("signature does not match the body")
            }
        }
        guard let session = shared.withLock({ $0.session }) else {
            return HookResponse.unavailable("the adapter process is not running; try again later")
        }
        let requestID = requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let line = GatewayMessage.request(id: requestID, request).line
        let answer: JSONValue
        do {
            answer = try await session.requests.call(
                requestID, timeout: settings.requestTimeout,
                timeoutError: Unanswered("the adapter process did not answer within \(settings.requestTimeout)"),
                notSent: Unanswered("the adapter process is not running; try again later")
            ) { session.send(line) }
        } catch let unanswered as Unanswered {
            logger.warning("hook request not answered", metadata: ["reason": "\(unanswered.message)"])
            return HookResponse.unavailable(unanswered.message)
        }
        return try HookResponse.result(answer, identity: settings.identityChannel)
    }

    /// Writes a `deliver` line and waits for the process's `delivered` or `failed`. Without a
    /// running process, or without an answer within `deliver_timeout`, the failure is transient:
    /// the outbox keeps the reply and tries again (after the restart).
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard let session = shared.withLock({ $0.session }) else {
            throw DeliveryFailure("adapter process not running")
        }
        let line = GatewayMessage.deliver(message).line
        return try await session.deliveries.call(
            message.id, timeout: settings.deliverTimeout,
            timeoutError: DeliveryFailure("the adapter process did not answer within \(settings.deliverTimeout)"),
            notSent: DeliveryFailure("adapter process not running")
        ) { session.send(line) }
    }
}

/// A forwarded request the process never answered.
struct Unanswered: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// One run of the adapter process and the questions waiting for its answers.
final class ExternalSession: Sendable {
    let child: ChildProcess
    let deliveries = PendingCalls<DeliveryReceipt>()
    let requests = PendingCalls<JSONValue>()

    init(child: ChildProcess) { self.child = child }

    func send(_ line: [UInt8]) -> Bool { child.writer.send(line) }

    func send(_ message: JSONValue) { _ = child.writer.send(message.line) }

    /// Fails whatever still waits: a delivery transiently (the outbox retries it), a request with 503.
    func close(because reason: String) {
        deliveries.close(with: DeliveryFailure("the adapter process \(reason) before answering"))
        requests.close(with: Unanswered("the adapter process \(reason); try again later"))
    }
}
