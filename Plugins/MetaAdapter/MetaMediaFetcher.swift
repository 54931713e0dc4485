import Foundation
import SwitchboardAdapterAPI

/// Fetches inbound media of the Meta channels. WhatsApp names media by id: `GET
/// {api_base}/{api_version}/{media-id}` with the access token answers a short-lived `url`, which is
/// downloaded with the token too. Messenger and Instagram give the attachment's CDN URL in the
/// webhook (`payload.url`), fetched as it is.
struct MetaMediaFetcher: MediaFetcher {
    enum Source { case graphMediaID, attachmentURL }

    let source: Source
    let transport: any HTTPTransport
    let graph: MetaGraphSettings
    let platform: String
    let maxMediaBytes: Int
    /// The kinds whose content is a file (not a location, a contact card, a reaction …).
    static let mediaKinds: Set<String> = ["image", "video", "audio", "voice", "document", "sticker", "file", "animation"]

    func canFetch(_ attachment: Attachment) -> Bool {
        guard Self.mediaKinds.contains(attachment.kind) else { return false }
        switch source {
        case .graphMediaID: return attachment.platformID.map { MetaGraphSettings.isNodeID($0) } ?? false
        case .attachmentURL: return attachment.url.map { $0.hasPrefix("https://") || $0.hasPrefix("http://") } ?? false
        }
    }

    func fetch(_ attachment: Attachment) async throws -> FetchedMedia {
        switch source {
        case .graphMediaID:
            guard let mediaID = attachment.platformID else { throw MediaFetchFailure("no media id", permanent: true) }
            let auth = [(name: "Authorization", value: "Bearer \(graph.accessToken)")]
            let lookup = try await transport.fetchMedia(
                "\(graph.apiBase)/\(graph.apiVersion)/\(mediaID)", headers: auth, service: "\(platform) media lookup", limit: 1 << 20)
            let document = (try? JSONValue.parse(lookup.body)) ?? .null
            guard let url = document.string("url"), url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw MediaFetchFailure("\(platform) media lookup gave no download URL", permanent: true)
            }
            let file = try await transport.fetchMedia(url, headers: auth, service: "\(platform) media download", limit: maxMediaBytes)
            return FetchedMedia(
                content: Data(file.body), mimeType: document.string("mime_type") ?? Self.mimeType(file))
        case .attachmentURL:
            guard let url = attachment.url else { throw MediaFetchFailure("no attachment URL", permanent: true) }
            let file = try await transport.fetchMedia(url, service: "\(platform) attachment download", limit: maxMediaBytes)
            return FetchedMedia(content: Data(file.body), mimeType: Self.mimeType(file))
        }
    }

    /// The answer's `Content-Type` without parameters, unless it says nothing useful.
    static func mimeType(_ response: HTTPResponse) -> String? {
        guard let value = response.header("Content-Type") else { return nil }
        let type = value.split(separator: ";").first.map { String($0).trimmed.lowercased() } ?? ""
        return type.isEmpty || type == "application/octet-stream" ? nil : type
    }
}
