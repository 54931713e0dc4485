import Foundation
import SwitchboardAdapterAPI

/// X direct messages (`type: x`) through the Account Activity API webhook; replies through the
/// v2 DM endpoint.
///
/// `GET ?crc_token=` is answered with the CRC response, for tokens of X's shape only and at X's
/// pace (``XCRCToken``, ``XCRCRateLimit``); every POST must carry a valid
/// `x-twitter-webhooks-signature`. Public mentions are recorded, but answered in public only when
/// `public_replies: true`.
public struct XAdapter: ChannelAdapter {
    /// The thread reference of a public mention: `tweet:<id>`.
    public static let tweetThreadPrefix = "tweet:"
    /// The longest public reply X accepts (standard accounts).
    public static let maxTweetLength = 280

    /// The configured id; the hook is `/hooks/{id}`.
    public let id: String
    /// What the configuration said.
    public let settings: XSettings
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private let crcLimiter: XCRCLimiter

    /// An adapter sending through `transport`; `now` dates rate-limit windows (tests pin it);
    /// `crcRateLimit` bounds how often the CRC handshake is answered.
    /// DM and tweet media are fetched from the URLs the events name.
    public var mediaFetcher: (any MediaFetcher)? { XMediaFetcher(settings: settings, transport: transport) }

    public init(
        id: String, settings: XSettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date = Date.init,
        crcRateLimit: XCRCRateLimit = .standard
    ) {
        self.id = id
        self.settings = settings
        self.transport = transport
        self.now = now
        self.crcLimiter = XCRCLimiter(crcRateLimit)
    }

    /// DMs hold up to 10 000 characters. X lets an account write only to people who allow it, so
    /// conversations start with the customer.
    public var capabilities: AdapterCapabilities {
        AdapterCapabilities(maxTextLength: 10_000, canInitiate: false)
    }

    /// Answers the CRC check (GET) or verifies and decodes an event delivery (POST).
    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        switch request.method {
        case "GET":
            guard let token = request.query["crc_token"], !token.isEmpty else {
                throw InboundError.malformed("a GET to this hook is X's CRC check and needs ?crc_token=")
            }
            // The answer is the signature a POST of the token would carry (see XCRCToken).
            guard XCRCToken.isAcceptable(token) else {
                throw InboundError.malformed(
                    "crc_token is not a token X sends (1–\(XCRCToken.maxLength) characters of A–Z a–z 0–9 - _ . ~ + / =, not JSON)")
            }
            guard crcLimiter.allow(at: now()) else {
                throw InboundError.rateLimited(
                    "CRC checks on this hook are answered at most \(crcLimiter.limit.burst) at once, then one every \(Int(crcLimiter.limit.interval)) s"
                )
            }
            return .respond(
                status: 200, contentType: "application/json",
                body: XWebhookSignature.crcResponse(consumerSecret: settings.consumerSecret, crcToken: token))
        case "POST":
            guard let signature = request.header(XWebhookSignature.header) else {
                throw InboundError.unauthorized("missing \(XWebhookSignature.header) header")
            }
            guard XWebhookSignature.isValid(signature, body: request.body, consumerSecret: settings.consumerSecret) else {
                throw InboundError.unauthorized("\(XWebhookSignature.header) does not match the body")
            }
            return .events(try XActivityDecoder.decode(try JSONValue.parse(request.body), ourUserID: settings.userID))
        default:
            throw InboundError.methodNotAllowed("X uses GET for the CRC check and POST for events")
        }
    }

    /// Public mentions are recorded but never answered in public by default: a reply there is
    /// visible to everyone and cannot be taken back by the support team.
    public func refusal(for reply: ReplyContext) -> String? {
        guard reply.threadRef?.hasPrefix(Self.tweetThreadPrefix) == true else { return nil }
        guard settings.publicReplies else {
            return "this answers a public mention on X: public mentions are recorded but never answered in public "
                + "(set public_replies: true on adapter '\(id)' to allow it); answer one of the customer's direct messages instead"
        }
        if reply.text.count > Self.maxTweetLength {
            return "a public reply on X holds at most \(Self.maxTweetLength) characters (this one has \(reply.text.count))"
        }
        return nil
    }

    /// Sends a DM to the customer, or a public reply to `tweet:<id>` threads when allowed.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        if let thread = message.threadRef, thread.hasPrefix(Self.tweetThreadPrefix) {
            let tweetID = String(thread.dropFirst(Self.tweetThreadPrefix.count))
            // Checked again here: the setting may have changed since the reply was queued.
            guard settings.publicReplies else {
                throw DeliveryFailure("public replies on X are disabled for adapter '\(id)'", permanent: true)
            }
            let body = XPublicReply(text: message.text, reply: .init(in_reply_to_tweet_id: tweetID))
            return try await post("/2/tweets", body: body, idPointer: "/data/id")
        }
        guard !message.to.isEmpty, message.to.allSatisfy(\.isASCIIDigit) else {
            throw DeliveryFailure("'\(message.to)' is not a numeric X account id", permanent: true)
        }
        return try await post(
            "/2/dm_conversations/with/\(message.to)/messages", body: XDirectMessage(text: message.text), idPointer: "/data/dm_event_id")
    }

    private func post(_ path: String, body: some Encodable, idPointer: String) async throws -> DeliveryReceipt {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let request = HTTPRequest(
            method: "POST", url: settings.apiBase + path,
            headers: [("Authorization", "Bearer \(settings.accessToken)"), ("Content-Type", "application/json")],
            body: Array(try encoder.encode(body)), timeout: settings.timeout)
        let response = try await transport.sendForDelivery(request, reaching: "the X API at \(settings.apiBase)")
        return try XSendResult.interpret(response, idPointer: idPointer, now: now())
    }
}

/// The body of a v2 DM.
struct XDirectMessage: Encodable {
    var text: String
}

/// The body of a v2 public reply.
struct XPublicReply: Encodable {
    struct Reply: Encodable { var in_reply_to_tweet_id: String }
    var text: String
    var reply: Reply
}
