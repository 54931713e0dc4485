import Foundation
import SwitchboardAdapterAPI

/// SMS and MMS through Twilio Programmable Messaging (`type: twilio-sms`).
///
/// Inbound webhooks and status callbacks must carry a valid `X-Twilio-Signature`, computed over
/// the public URL Twilio called (the gateway's `server.public_url` + the hook path + query), so
/// `public_url` must be exactly what is configured in Twilio's console. Replies are created
/// through the Messages REST API with a `StatusCallback` to this hook, so delivery reports flow
/// back.
public struct TwilioAdapter: ChannelAdapter {
    /// The configured id; the hook is `/hooks/{id}`.
    public let id: String
    /// What the configuration said.
    public let settings: TwilioSettings
    /// The gateway's public base URL, without a trailing slash.
    public let publicURL: String
    private let transport: any HTTPTransport

    /// An adapter whose hook Twilio calls at `publicURL` + `/hooks/{id}`.
    public init(id: String, settings: TwilioSettings, publicURL: String, transport: any HTTPTransport) {
        self.id = id
        self.settings = settings
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.transport = transport
    }

    /// Twilio splits long texts into up to 10 segments (1600 characters). Replies may go to any
    /// number the customer is known by, whichever channel they used.
    /// MMS media are fetched from their `MediaUrl`, with the account's credentials under `api_base`.
    public var mediaFetcher: (any MediaFetcher)? { TwilioMedia(settings: settings, transport: transport) }

    public var capabilities: AdapterCapabilities {
        AdapterCapabilities(maxTextLength: 1600, canInitiate: true, attachments: Self.replyFiles)
    }

    /// MMS: up to 10 files of 5 MB together; the types every carrier takes, and PDFs (US/Canada).
    static let replyFiles = ReplyFileLimits(
        maxFiles: 10, maxTotalBytes: 5_000_000,
        kinds: [
            .init("image", maxBytes: 5_000_000, mimeTypes: ["image/jpeg", "image/png", "image/gif"], label: "MMS images"),
            .init("audio", maxBytes: 5_000_000, mimeTypes: ["audio/mpeg", "audio/mp4", "audio/ogg", "audio/amr"], label: "MMS audio files"),
            .init("video", maxBytes: 5_000_000, mimeTypes: ["video/mp4", "video/3gpp"], label: "MMS videos"),
            .init("document", maxBytes: 5_000_000, mimeTypes: ["application/pdf", "text/vcard", "text/x-vcard"], label: "MMS documents"),
        ])

    /// Phone numbers: an agent may text a customer known by their number from any channel.
    public var identityChannel: String? { "phone" }

    /// Where Twilio sends status callbacks for our replies: this adapter's hook.
    public var statusCallbackURL: String { "\(publicURL)/hooks/\(id)" }

    /// Verifies `X-Twilio-Signature`, then decodes an incoming message or a status callback.
    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        let fields = try TwilioSignature.verifiedParameters(of: request, publicURL: publicURL, authToken: settings.authToken)
        return .events(try TwilioWebhookDecoder.decode(fields))
    }

    /// Creates the reply through the Messages API; its `sid` matches later status callbacks.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard let to = Self.e164(message.to) else {
            throw DeliveryFailure("'\(message.to)' is not a phone number Twilio can text", permanent: true)
        }
        var fields = [("To", to), ("From", settings.from), ("Body", message.text), ("StatusCallback", statusCallbackURL)]
        // MMS: Twilio fetches each file from the gateway's signed, expiring URL.
        for file in message.attachments {
            guard let link = file.link else {
                throw DeliveryFailure("an MMS file needs the gateway's server.public_url for Twilio to fetch it", permanent: true)
            }
            fields.append(("MediaUrl", link))
        }
        let form = FormEncoding.encode(fields)
        let credentials = Data("\(settings.accountSID):\(settings.authToken)".utf8).base64EncodedString()
        let request = HTTPRequest(
            method: "POST", url: "\(settings.apiBase)/2010-04-01/Accounts/\(settings.accountSID)/Messages.json",
            headers: [
                ("Authorization", "Basic \(credentials)"),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ],
            body: form, timeout: settings.timeout)
        let response = try await transport.sendForDelivery(request, reaching: "Twilio at \(settings.apiBase)")
        return try TwilioSendResult.interpret(response)
    }

    /// The E.164 form Twilio requires. Addresses arrive as customers' numbers were stored (the
    /// core matches identities on a normalized form but keeps what the channel sent):
    /// `+34 600-111-222`, `0034600111222` and WhatsApp's `34600111222` all become `+34600111222`.
    /// Nil when no international number can be made out.
    static func e164(_ raw: String) -> String? {
        var text = raw.trimmed
        if let colon = text.firstIndex(of: ":") { text = String(text[text.index(after: colon)...]).trimmed }
        let digits = text.filter { $0.isASCII && $0.isNumber }
        guard digits.count >= 7, text.allSatisfy({ ($0.isASCII && $0.isNumber) || " +-().".contains($0) }) else { return nil }
        if text.hasPrefix("+") { return "+" + digits }
        if digits.hasPrefix("00") { return "+" + digits.dropFirst(2) }
        // Without a country prefix only a full international number (as WhatsApp ids are) is safe.
        return digits.count >= 11 ? "+" + digits : nil
    }
}
