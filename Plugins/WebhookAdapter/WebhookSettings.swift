import SwitchboardAdapterAPI

/// The `webhook` adapter's configuration, read from its section of the config file.
public struct WebhookSettings: Sendable {
    /// JSON pointers into the posted document.
    public struct InboundMap: Sendable {
        public var messageID: JSONPointer
        public var customer: JSONPointer
        public var customerName: JSONPointer?
        public var text: JSONPointer
        public var sentAt: JSONPointer?
        /// Optional: how urgent the sender says the message is (`low`, `normal`, `high`, `urgent`).
        public var priority: JSONPointer?
        /// Optional: a subject line and the customer's language (kept in the message's metadata).
        public var subject: JSONPointer?
        public var language: JSONPointer?
    }

    public static let signatureHeader = "X-Switchboard-Signature"

    /// Who may post: a secret (`X-Switchboard-Signature` required) or, with `open: true`, anyone.
    public var access: HookAccess
    /// The HMAC key of ``access``'s secret: signs replies and checks posts.
    public var secret: HMACKey?
    public var inbound: InboundMap
    public var outboundURL: String
    public var timeout: Duration
    /// The identity namespace of the customer addresses (`email`, `phone`, or a name of your own);
    /// the same namespace on two adapters means the same customers.
    public var identityChannel: String
    public var capabilities: AdapterCapabilities

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(id: String, config: ConfigSection) {
        // This hook creates customers and messages: never open by omission.
        access = config.hookAccess()
        secret = access.secret.map(HMACKey.init)
        let inboundSection = config.section("inbound")
        func pointer(_ key: String, default value: String?) -> JSONPointer? {
            guard let p = inboundSection?.string(key) else { return value.flatMap(JSONPointer.init) }
            guard let parsed = JSONPointer(p) else {
                inboundSection?.problem(key, "'\(p)' is not a JSON pointer (RFC 6901: it starts with /)")
                return value.flatMap(JSONPointer.init)
            }
            return parsed
        }
        inbound = InboundMap(
            messageID: pointer("message_id", default: "/id")!,
            customer: pointer("customer", default: "/from")!,
            customerName: pointer("customer_name", default: "/name"),
            text: pointer("text", default: "/text")!,
            sentAt: pointer("sent_at", default: "/ts"), priority: pointer("priority", default: nil),
            subject: pointer("subject", default: nil), language: pointer("language", default: nil))
        inboundSection?.finish()
        let outbound = config.section("outbound")
        if outbound == nil { config.problem(nil, "missing required key 'outbound' (with 'url': where replies are POSTed)") }
        let url = outbound?.requiredString("url") ?? ""
        if !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            outbound?.problem("url", "'\(url)' is not an http:// or https:// URL")
        }
        outboundURL = url
        timeout = outbound?.duration("timeout", default: .seconds(15)) ?? .seconds(15)
        outbound?.finish()
        identityChannel = config.string("identity") ?? id
        capabilities = AdapterCapabilities(
            replyWindow: config.duration("reply_window"),
            maxTextLength: config.int("max_text", range: 1...10_000_000),
            ratePerSecond: config.string("rate_per_second").flatMap(Double.init),
            canInitiate: true, attachments: Self.replyFiles)
    }

    /// Files travel base64-encoded inside the JSON (`attachments[].content_base64`), so they are kept
    /// small: five of up to 10 MB together.
    static let replyFiles = ReplyFileLimits(
        maxFiles: 5, maxTotalBytes: 10_000_000,
        kinds: ["image", "audio", "video", "document"].map { ReplyFileLimits.Kind($0, maxBytes: 10_000_000, label: "Webhook files") })
}

/// Builds `type: webhook` adapters.
public struct WebhookAdapterFactory: ChannelAdapterFactory {
    public init() {}

    public var type: String { "webhook" }

    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        WebhookAdapter(id: id, settings: WebhookSettings(id: id, config: config), transport: context.transport)
    }
}
