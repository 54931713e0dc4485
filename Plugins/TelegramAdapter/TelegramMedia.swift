import Foundation
import SwitchboardAdapterAPI

/// Fetches Telegram files: `getFile?file_id=…` answers a `file_path`, downloaded from
/// `{api_base}/file/bot{token}/{file_path}`. The Bot API serves files of up to 20 MB.
struct TelegramMedia: MediaFetcher {
    let settings: TelegramSettings
    let transport: any HTTPTransport
    var maxMediaBytes: Int { 20 << 20 }

    static let fileKinds: Set<String> = ["image", "video", "audio", "voice", "document", "sticker"]

    func canFetch(_ attachment: Attachment) -> Bool {
        Self.fileKinds.contains(attachment.kind) && attachment.platformID?.isEmpty == false
    }

    func fetch(_ attachment: Attachment) async throws -> FetchedMedia {
        guard let fileID = attachment.platformID else { throw MediaFetchFailure("no file_id", permanent: true) }
        let query = String(decoding: FormEncoding.encode([("file_id", fileID)]), as: UTF8.self)
        let lookup = try await transport.fetchMedia(
            "\(settings.apiBase)/bot\(settings.botToken)/getFile?\(query)", service: "the Telegram Bot API (getFile)", limit: 1 << 20,
            redact: redacted)
        let answer = (try? JSONValue.parse(lookup.body)) ?? .null
        guard answer["ok"]?.boolValue == true, let path = answer["result"]?["file_path"]?.nonEmptyText else {
            let why = answer["description"]?.nonEmptyText ?? "no file_path"
            throw MediaFetchFailure("the Telegram Bot API (getFile) answered: \(redacted(why))", permanent: true)
        }
        let file = try await transport.fetchMedia(
            "\(settings.apiBase)/file/bot\(settings.botToken)/\(path)", service: "the Telegram Bot API (file download)",
            limit: maxMediaBytes, redact: redacted)
        let name = path.split(separator: "/").last.map(String.init)
        return FetchedMedia(content: Data(file.body), fileName: attachment.kind == "document" ? name : nil)
    }

    private func redacted(_ text: String) -> String {
        settings.botToken.isEmpty ? text : text.replacingOccurrences(of: settings.botToken, with: "<bot-token>")
    }
}
