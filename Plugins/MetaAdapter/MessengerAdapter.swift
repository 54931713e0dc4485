import Logging
import SwitchboardAdapterAPI

/// The Messenger (`type: messenger`) and Instagram (`type: instagram`) adapter.
///
/// Inbound: Meta's `GET` handshake and signed `POST` webhooks (`object: page` / `instagram`,
/// `entry[].messaging[]`). Customer messages (text, attachments, quick replies, postbacks,
/// story replies, reactions) become messages of the identity `messenger:<page id>` /
/// `instagram:<account id>` + PSID/IGSID; edits and deletions become edits; `delivery.mids` (and
/// Instagram's `read.mid`) become status reports on our replies. Our own sends echoed back
/// (`is_echo`) are ignored, and so are read watermarks, which name no message.
/// Outbound: `POST {api_base}/{api_version}/{page_id}/messages` with `messaging_type: RESPONSE`.
public struct MessengerAdapter: ChannelAdapter {
    public let id: String
    public let settings: MessengerSettings
    let gate: MetaWebhookGate
    let inbound: MessengerInbound
    let graph: MetaGraphClient
    let media: MetaMediaFetcher

    public init(id: String, settings: MessengerSettings, transport: any HTTPTransport, logger: Logger = Logger(label: "switchboard.messenger")) {
        self.id = id
        self.settings = settings
        gate = MetaWebhookGate(appSecret: settings.graph.appSecret, verifyToken: settings.graph.verifyToken)
        inbound = MessengerInbound(platform: settings.platform, pageID: settings.pageID, logger: logger)
        graph = MetaGraphClient(
            transport: transport, accessToken: settings.graph.accessToken, platform: settings.platform.displayName,
            outsideWindowHint: settings.capabilities.outsideWindowHint)
        // Messenger and Instagram attachments are at most 25 MB.
        media = MetaMediaFetcher(
            source: .attachmentURL, transport: transport, graph: settings.graph, platform: settings.platform.displayName,
            maxMediaBytes: 25 << 20)
    }

    /// Attachment URLs from the webhook are downloaded as they are.
    public var mediaFetcher: (any MediaFetcher)? { media }

    public var capabilities: AdapterCapabilities { settings.capabilities }

    public var identityChannel: String? { settings.identityChannel }

    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        switch try gate.open(request) {
        case .answer(let answer): return answer
        case .document(let document): return .events(try inbound.events(from: document))
        }
    }
}
