import Foundation
import SwitchboardAdapterAPI

/// Fetches what an adapter process names by an http(s) `url` instead of sending the bytes
/// (`content_base64`): a plain `GET`, with no credentials of the gateway's.
struct ExternalMedia: MediaFetcher {
    let transport: any HTTPTransport
    var maxMediaBytes: Int { 25 << 20 }
    /// Kinds whose `url` is a place (a map link) or a profile, not a file.
    static let notFiles: Set<String> = ["location", "contact", "link", "reaction"]

    func canFetch(_ attachment: Attachment) -> Bool {
        guard !Self.notFiles.contains(attachment.kind), let url = attachment.url else { return false }
        return url.hasPrefix("https://") || url.hasPrefix("http://")
    }

    func fetch(_ attachment: Attachment) async throws -> FetchedMedia {
        guard let url = attachment.url else { throw MediaFetchFailure("no url", permanent: true) }
        let file = try await transport.fetchMedia(url, service: "the attachment URL", limit: maxMediaBytes)
        let type = file.header("Content-Type")?.split(separator: ";").first.map { String($0).trimmed }
        return FetchedMedia(content: Data(file.body), mimeType: type.flatMap { $0.isEmpty || $0 == "application/octet-stream" ? nil : $0 })
    }
}
