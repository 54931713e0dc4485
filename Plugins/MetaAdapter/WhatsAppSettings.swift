import SwitchboardAdapterAPI

/// The `whatsapp` adapter's configuration:
///
/// ```yaml
/// - id: wa-support
///   type: whatsapp
///   api_base: https://graph.facebook.com   # default
///   api_version: v21.0                     # default
///   phone_number_id: "106540352242922"     # the business number's id (required)
///   access_token_env: WA_TOKEN             # system-user or permanent token
///   app_secret_env: META_APP_SECRET        # verifies X-Hub-Signature-256
///   verify_token_env: META_VERIFY_TOKEN    # answers the subscription handshake
///   template: order_update                 # optional: approved template suggested outside 24 h
///   templates:                             # the approved templates agents may send (any time)
///     - { name: order_update, language: es, text: "Hola {{1}}, tu pedido {{2}} ha salido" }
///   # or: templates: fetch, with waba_id: "1029…" (the Graph API's approved ones, refreshed hourly)
/// ```
public struct WhatsAppSettings: Sendable {
    public var graph: MetaGraphSettings
    /// The id of the business phone number replies are sent from.
    public var phoneNumberID: String
    /// An approved message template agents are pointed to outside the 24-hour window.
    public var template: String?
    /// The configured templates (`templates:` as a list).
    public var templates: [MessageTemplate]
    /// `templates: fetch`: the approved templates are read from the Graph API (`waba_id` needed).
    public var fetchTemplates: Bool
    /// The WhatsApp Business Account id, for fetching its templates.
    public var wabaID: String?
    public var capabilities: AdapterCapabilities

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        graph = MetaGraphSettings(config: config)
        let number = config.requiredString("phone_number_id")
        MetaGraphSettings.checkNodeID(number, key: "phone_number_id", in: config)
        phoneNumberID = number ?? ""
        template = config.string("template")?.trimmed.nilIfEmpty
        wabaID = config.string("waba_id")?.trimmed.nilIfEmpty
        MetaGraphSettings.checkNodeID(wabaID, key: "waba_id", in: config)
        var listed: [MessageTemplate] = []
        var fetch = false
        if case .scalar(let word)? = config.node("templates")?.value {
            if word == "fetch" {
                fetch = true
                if wabaID == nil { config.problem("templates", "'templates: fetch' needs the account's 'waba_id'") }
            } else {
                config.problem("templates", "'\(word)' is neither 'fetch' nor a list of templates")
            }
        } else {
            for entry in config.sections("templates") {
                let name = entry.requiredString("name")
                let language = entry.requiredString("language")
                let text = entry.string("text")
                let parameters = entry.int("parameters", range: 0...100)
                entry.finish()
                if let name, let language { listed.append(MessageTemplate(name: name, language: language, text: text, parameters: parameters)) }
            }
        }
        templates = listed
        fetchTemplates = fetch
        capabilities = Self.capabilities(template: template)
        capabilities.templates = listed
        if template == nil && (fetch || !listed.isEmpty) {
            capabilities.outsideWindowHint = "send one of the approved message templates instead"
        }
    }

    /// WhatsApp allows free-form replies for 24 h after the customer's last message and never a
    /// free-form first message; a text body holds at most 4096 characters. 80 messages a second is
    /// the Cloud API's default throughput per number.
    static func capabilities(template: String?) -> AdapterCapabilities {
        AdapterCapabilities(
            replyWindow: .seconds(24 * 3600),
            maxTextLength: 4096,
            ratePerSecond: 80,
            canInitiate: false,
            outsideWindowHint: template.map { "send the approved template '\($0)' instead" }
                ?? "WhatsApp allows only approved templates there, and none is configured: reach the customer through another channel",
            attachments: replyFiles)
    }

    /// What the Cloud API takes as media: one file per message, of these types and sizes.
    static let replyFiles = ReplyFileLimits(
        maxFiles: 1,
        kinds: [
            .init("image", maxBytes: 5_000_000, mimeTypes: ["image/jpeg", "image/png"], label: "WhatsApp images"),
            .init(
                "audio", maxBytes: 16_000_000, mimeTypes: ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"],
                label: "WhatsApp audio files"),
            .init("video", maxBytes: 16_000_000, mimeTypes: ["video/mp4", "video/3gpp"], label: "WhatsApp videos"),
            .init(
                "document", maxBytes: 100_000_000,
                mimeTypes: [
                    "application/pdf", "text/plain", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                ], label: "WhatsApp documents"),
        ])
}
