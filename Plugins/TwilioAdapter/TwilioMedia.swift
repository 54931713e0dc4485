import Foundation
import SwitchboardAdapterAPI

/// Fetches MMS media (`MediaUrlN`). URLs under the configured `api_base` are fetched with the
/// account's credentials (HTTP Basic: account SID and auth token); Twilio answers with a redirect
/// to the stored file, followed without them. Other URLs never see the credentials.
struct TwilioMedia: MediaFetcher {
    let settings: TwilioSettings
    let transport: any HTTPTransport
    /// Twilio accepts MMS of up to 5 MB; incoming media can be larger on some carriers.
    var maxMediaBytes: Int { 10 << 20 }

    func canFetch(_ attachment: Attachment) -> Bool {
        guard let url = attachment.url else { return false }
        return url.hasPrefix("https://") || url.hasPrefix("http://")
    }

    func fetch(_ attachment: Attachment) async throws -> FetchedMedia {
        guard let url = attachment.url else { throw MediaFetchFailure("no MediaUrl", permanent: true) }
        var headers: [(name: String, value: String)] = []
        if url.hasPrefix(settings.apiBase + "/") {
            let credentials = Data("\(settings.accountSID):\(settings.authToken)".utf8).base64EncodedString()
            headers.append((name: "Authorization", value: "Basic \(credentials)"))
        }
        let file = try await transport.fetchMedia(url, headers: headers, service: "Twilio media", limit: maxMediaBytes)
        let type = file.header("Content-Type")?.split(separator: ";").first.map { String($0).trimmed }
        return FetchedMedia(content: Data(file.body), mimeType: type.flatMap { $0.isEmpty ? nil : $0 })
    }
}
