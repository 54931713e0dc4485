/// What a channel allows. The core checks these uniformly before a reply is queued, so an agent
/// learns at once why a reply cannot go out, and paces deliveries by the rate limits.
public struct AdapterCapabilities: Sendable, Equatable {
    /// Free-form replies are allowed only this long after the customer's last message on this
    /// adapter (WhatsApp's 24 h window). `nil`: no window.
    public var replyWindow: Duration?
    /// The longest reply text the channel accepts, in characters.
    public var maxTextLength: Int?
    /// The largest attachment the channel accepts, in bytes.
    public var maxAttachmentBytes: Int?
    /// Deliveries per second through this adapter, all recipients together.
    public var ratePerSecond: Double?
    /// Deliveries per second to one recipient.
    public var ratePerRecipientPerSecond: Double?
    /// Whether the adapter can write to a customer who never wrote through it.
    public var canInitiate: Bool
    /// Whether the adapter can send replies at all; `false` with the reason shown to agents.
    public var replyRefusal: String?
    /// What the agent can do instead outside the reply window (e.g. the configured WhatsApp
    /// message template), shown with the refusal.
    public var outsideWindowHint: String?
    /// The files a reply may carry (kinds, sizes, how many); nil: the adapter sends text only.
    public var attachments: ReplyFileLimits?
    /// The templates agents may send instead of free-form text (allowed outside ``replyWindow``);
    /// nil or empty: none.
    public var templates: [MessageTemplate]?

    public init(
        replyWindow: Duration? = nil, maxTextLength: Int? = nil, maxAttachmentBytes: Int? = nil,
        ratePerSecond: Double? = nil, ratePerRecipientPerSecond: Double? = nil, canInitiate: Bool = true,
        replyRefusal: String? = nil, outsideWindowHint: String? = nil, attachments: ReplyFileLimits? = nil,
        templates: [MessageTemplate]? = nil
    ) {
        self.attachments = attachments
        self.templates = templates
        self.replyWindow = replyWindow
        self.maxTextLength = maxTextLength
        self.maxAttachmentBytes = maxAttachmentBytes
        self.ratePerSecond = ratePerSecond
        self.ratePerRecipientPerSecond = ratePerRecipientPerSecond
        self.canInitiate = canInitiate
        self.replyRefusal = replyRefusal
        self.outsideWindowHint = outsideWindowHint
    }
}
