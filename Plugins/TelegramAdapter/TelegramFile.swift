import Foundation
import SwitchboardAdapterAPI

/// How a reply's file goes to Telegram: which Bot API method and field carry it, and what a bot may
/// upload (photos up to 10 MB, other files up to 50 MB; one file per message).
enum TelegramFile {
    static let limits = ReplyFileLimits(
        maxFiles: 1,
        kinds: [
            .init("image", maxBytes: 10_000_000, mimeTypes: ["image/jpeg", "image/png", "image/webp"], label: "Telegram photos"),
            .init("audio", maxBytes: 50_000_000, label: "Telegram audio files"),
            .init("video", maxBytes: 50_000_000, mimeTypes: ["video/mp4"], label: "Telegram videos"),
            .init("document", maxBytes: 50_000_000, label: "Telegram documents"),
        ])

    /// `sendPhoto`/`photo`, `sendVoice`/`voice` (OGG Opus voice notes), `sendAudio`/`audio`,
    /// `sendVideo`/`video`, else `sendDocument`/`document`.
    static func method(for file: OutboundAttachment) -> (name: String, field: String) {
        switch file.kind {
        case "image": ("sendPhoto", "photo")
        case "audio" where file.mimeType.lowercased() == "audio/ogg": ("sendVoice", "voice")
        case "audio": ("sendAudio", "audio")
        case "video": ("sendVideo", "video")
        default: ("sendDocument", "document")
        }
    }

    /// The `file_id` Telegram gives the file in its answer (for a photo, its largest size), to send
    /// it again by id.
    static func fileID(in body: [UInt8], field: String) -> String? {
        guard let result = (try? JSONValue.parse(body))?["result"]?[field] else { return nil }
        if case .array(let sizes) = result { return sizes.last?["file_id"]?.nonEmptyText }
        return result["file_id"]?.nonEmptyText
    }
}
