import Foundation
import SwitchboardAdapterAPI

/// Fetches the media of DMs and tweets from the URL the event names (`media_url_https`, a video's
/// best MP4). DM images on `ton.twitter.com` need the account's token, so URLs there (and under
/// `api_base`) are fetched with it; public media hosts (`pbs.twimg.com`, `video.twimg.com`) without.
struct XMediaFetcher: MediaFetcher {
    let settings: XSettings
    let transport: any HTTPTransport
    var maxMediaBytes: Int { 25 << 20 }

    func canFetch(_ attachment: Attachment) -> Bool {
        guard attachment.kind == "image" || attachment.kind == "video", let url = attachment.url else { return false }
        return url.hasPrefix("https://") || url.hasPrefix("http://")
    }

    func fetch(_ attachment: Attachment) async throws -> FetchedMedia {
        guard let url = attachment.url else { throw MediaFetchFailure("no media URL", permanent: true) }
        let host = URLComponents(string: url)?.host?.lowercased()
        var headers: [(name: String, value: String)] = []
        if host == "ton.twitter.com" || url.hasPrefix(settings.apiBase + "/") {
            headers.append((name: "Authorization", value: "Bearer \(settings.accessToken)"))
        }
        let file = try await transport.fetchMedia(url, headers: headers, service: "X media", limit: maxMediaBytes)
        let type = file.header("Content-Type")?.split(separator: ";").first.map { String($0).trimmed }
        return FetchedMedia(content: Data(file.body), mimeType: type.flatMap { $0.isEmpty || $0 == "application/octet-stream" ? nil : $0 })
    }
}
