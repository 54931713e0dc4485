import SwitchboardAdapterAPI

/// Which Meta inbox a ``MessengerAdapter`` serves. Messenger and Instagram share the webhook
/// envelope (`entry[].messaging[]`) and the Send API, and differ in names and limits.
public enum MessengerPlatform: String, Sendable {
    case messenger
    case instagram

    /// The webhook envelope's `object`.
    var object: String { self == .messenger ? "page" : "instagram" }

    /// How failures name the platform to agents.
    var displayName: String { self == .messenger ? "Messenger" : "Instagram" }

    /// Messenger accepts 2000 characters per text message; Instagram 1000.
    var maxTextLength: Int { self == .messenger ? 2000 : 1000 }
}

/// The `messenger` and `instagram` adapters' configuration:
///
/// ```yaml
/// - id: fb-page
///   type: messenger            # or instagram
///   api_base: https://graph.facebook.com   # default (Instagram Login: https://graph.instagram.com)
///   api_version: v21.0                     # default
///   page_id: "106000000000001"             # Messenger: the Page id. Instagram: the professional
///                                          # account's id (IG_ID, the `entry[].id` of its webhooks)
///   access_token_env: FB_PAGE_TOKEN        # Page (or Instagram) access token
///   app_secret_env: META_APP_SECRET
///   verify_token_env: META_VERIFY_TOKEN
/// ```
///
/// Replies go to `POST {api_base}/{api_version}/{page_id}/messages` on both platforms (for
/// Instagram that is the `/{IG_ID}/messages` form of the Send API).
public struct MessengerSettings: Sendable {
    public var platform: MessengerPlatform
    public var graph: MetaGraphSettings
    /// The Page (Messenger) or Instagram account (Instagram) the adapter speaks for.
    public var pageID: String
    public var capabilities: AdapterCapabilities

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(platform: MessengerPlatform, config: ConfigSection) {
        self.platform = platform
        graph = MetaGraphSettings(config: config)
        let page = config.requiredString("page_id")
        MetaGraphSettings.checkNodeID(page, key: "page_id", in: config)
        pageID = page ?? ""
        // Standard messaging: 24 h after the customer's last message; never a first message.
        capabilities = AdapterCapabilities(
            replyWindow: .seconds(24 * 3600),
            maxTextLength: platform.maxTextLength,
            canInitiate: false,
            outsideWindowHint:
                "\(platform.displayName) allows free-form replies only within 24 hours of the customer's last message: reach the customer through another channel",
            attachments: platform == .messenger ? Self.messengerFiles : Self.instagramFiles
        )
    }

    /// Messenger's Attachment Upload API: one file of up to 25 MB per message.
    static let messengerFiles = ReplyFileLimits(
        maxFiles: 1, kinds: ["image", "audio", "video", "document"].map { .init($0, maxBytes: 25_000_000, label: "Messenger attachments") })
    /// Instagram messages: images up to 8 MB, audio and video up to 25 MB; no documents.
    static let instagramFiles = ReplyFileLimits(
        maxFiles: 1,
        kinds: [
            .init("image", maxBytes: 8_000_000, mimeTypes: ["image/jpeg", "image/png", "image/gif"], label: "Instagram images"),
            .init("audio", maxBytes: 25_000_000, mimeTypes: ["audio/aac", "audio/mp4", "audio/wav", "audio/x-m4a"], label: "Instagram audio"),
            .init("video", maxBytes: 25_000_000, mimeTypes: ["video/mp4", "video/quicktime", "video/webm"], label: "Instagram videos"),
        ])

    /// The identity namespace of this account's customers. PSIDs and IGSIDs are scoped to one
    /// Page or Instagram account, so the namespace names it.
    var identityChannel: String { "\(platform.rawValue):\(pageID)" }
}
