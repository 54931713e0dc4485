import Logging
import SwitchboardAdapterAPI

/// The WhatsApp Cloud API adapter (`type: whatsapp`).
///
/// Inbound: Meta's `GET` handshake and signed `POST` webhooks with messages (every type becomes a
/// message with attachments), edits and status reports on our replies, for the configured
/// `phone_number_id` only. Customers are `phone` identities (`+` and the `wa_id` digits), the same
/// customer who writes by SMS; a user who shares only a username is a `whatsapp-user` identity
/// (their business-scoped user id, BSUID).
/// Outbound: text replies through `POST {api_base}/{api_version}/{phone_number_id}/messages`
/// (`to` a phone number, or `recipient` a BSUID), quoting the answered message; delivered/read
/// arrive later as status webhooks.
public struct WhatsAppAdapter: ChannelAdapter {
    public let id: String
    public let settings: WhatsAppSettings
    let gate: MetaWebhookGate
    let inbound: WhatsAppInbound
    let graph: MetaGraphClient
    let media: MetaMediaFetcher
    let transport: any HTTPTransport
    let logger: Logger
    /// The templates read from the Graph API (`templates: fetch`).
    let catalog = WhatsAppTemplateCatalog()

    public init(id: String, settings: WhatsAppSettings, transport: any HTTPTransport, logger: Logger = Logger(label: "switchboard.whatsapp")) {
        self.id = id
        self.settings = settings
        self.transport = transport
        self.logger = logger
        gate = MetaWebhookGate(appSecret: settings.graph.appSecret, verifyToken: settings.graph.verifyToken)
        inbound = WhatsAppInbound(phoneNumberID: settings.phoneNumberID, logger: logger)
        graph = MetaGraphClient(
            transport: transport, accessToken: settings.graph.accessToken, platform: "WhatsApp Cloud API",
            outsideWindowHint: settings.capabilities.outsideWindowHint)
        // The Cloud API's largest media (a document) is 100 MB; the gateway's HTTP transport takes
        // answers of up to 64 MB, so that is what is kept.
        media = MetaMediaFetcher(
            source: .graphMediaID, transport: transport, graph: settings.graph, platform: "WhatsApp Cloud API", maxMediaBytes: 64 << 20)
    }

    /// Media ids are looked up and downloaded with the access token.
    public var mediaFetcher: (any MediaFetcher)? { media }

    /// The configured capabilities, with the templates read from the Graph API when `templates: fetch`.
    public var capabilities: AdapterCapabilities {
        guard settings.fetchTemplates else { return settings.capabilities }
        var capabilities = settings.capabilities
        capabilities.templates = settings.templates + catalog.current
        return capabilities
    }

    /// Replies go to phone numbers, so an agent can answer here a customer known by phone.
    public var identityChannel: String? { "phone" }

    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        switch try gate.open(request) {
        case .answer(let answer): return answer
        case .document(let document): return .events(try inbound.events(from: document))
        }
    }
}
