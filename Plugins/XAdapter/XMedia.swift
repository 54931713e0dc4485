import Foundation
import SwitchboardAdapterAPI

/// Text and media of DMs and tweets.
enum XMedia {
    /// Replaces each t.co link by the URL it stands for, so agents see where it leads. The link
    /// of an attached medium only points at the attachment, which is kept as such, so it is
    /// removed instead.
    static func expandingURLs(in text: String, entities: JSONValue?, removing mediaURL: String?) -> String {
        var result = text
        if let mediaURL { result = result.replacingOccurrences(of: mediaURL, with: "") }
        for url in entities?["urls"]?.arrayValue ?? [] {
            guard let short = url["url"]?.nonEmptyText, short != mediaURL, let long = url["expanded_url"]?.nonEmptyText else { continue }
            result = result.replacingOccurrences(of: short, with: long)
        }
        return mediaURL == nil ? result : result.trimmed
    }

    /// A photo, video or animated GIF. Videos and GIFs point at their best MP4 rendition; the
    /// still preview is kept in the details.
    static func attachment(_ media: JSONValue) -> Attachment {
        let type = media["type"]?.text ?? "photo"
        let preview = media["media_url_https"]?.nonEmptyText ?? media["media_url"]?.nonEmptyText
        var details: [String: String] = ["type": type]
        details["expanded_url"] = media["expanded_url"]?.nonEmptyText
        if type == "photo" {
            return Attachment(
                kind: "image", mimeType: preview.flatMap(imageType), url: preview,
                platformID: media["id_str"]?.nonEmptyText, details: details)
        }
        let variants = media["video_info"]?["variants"]?.arrayValue ?? []
        let best =
            variants.filter { $0["content_type"]?.text == "video/mp4" }
            .max { ($0["bitrate"]?.int64Value ?? 0) < ($1["bitrate"]?.int64Value ?? 0) } ?? variants.first
        details["preview_url"] = preview
        return Attachment(
            kind: "video", mimeType: best?["content_type"]?.nonEmptyText, url: best?["url"]?.nonEmptyText ?? preview,
            platformID: media["id_str"]?.nonEmptyText, details: details)
    }

    private static func imageType(_ url: String) -> String? {
        switch url.split(separator: ".").last?.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "gif": "image/gif"
        case "webp": "image/webp"
        default: nil
        }
    }
}
