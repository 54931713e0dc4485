import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import ZIPFoundation

/// A customer's record as files: a zip with `customer.json`, `customer.html` and the attachments
/// (`format=json`), or the HTML page alone with links to the agent API (`format=html`). The HTML
/// is plain markup with no script, every customer string escaped.
public enum CustomerRecordFiles {
    /// The zip: `customer.json` (the record), `customer.html` (the same, readable, linking the files
    /// next to it) and `attachments/…`. `content` fetches a file's bytes.
    public static func zip(
        _ record: CustomerRecord, content: (_ message: Int64, _ index: Int) async throws -> Data?
    ) async throws -> Data {
        let archive = try Archive(accessMode: .create)
        func add(_ path: String, _ data: Data) throws {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: record.exportedAt,
                compressionMethod: .deflate
            ) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try add("customer.json", try encoder.encode(record))
        try add("customer.html", Data(html(record, link: { file, _ in file.path }).utf8))
        for file in record.files {
            guard let data = try await content(file.message, file.index) else { continue }
            try add(file.path, data)
        }
        guard let data = archive.data else { throw ServiceError(status: 500, code: "export_failed", message: "the zip could not be written") }
        return data
    }

    /// The readable page. `link` gives each kept file's href (nil: not linked).
    public static func html(_ record: CustomerRecord, link: (CustomerRecord.File, Int64) -> String?) -> String {
        var out = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Customer record \(record.customer.id)</title>
            <style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1c1c1c}
            table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
            .message{border:1px solid #ddd;border-radius:.4rem;padding:.6rem .8rem;margin:.6rem 0}
            .internal{background:#fff8e1}.inbound{background:#f3f7ff}.meta{color:#555;font-size:.9em}pre{white-space:pre-wrap;margin:.4rem 0}</style>
            </head><body>
            <h1>Customer record</h1>
            <p class="meta">Exported \(e(stamp(record.exportedAt))) by \(e(record.exportedBy)). Customer \(record.customer.id)\
            \(record.customer.erasedAt.map { ", erased \(e(stamp($0)))" } ?? "").</p>
            <h2>Who</h2><table>
            <tr><th>Name</th><td>\(e(record.customer.name ?? "—"))</td></tr>
            <tr><th>Customer since</th><td>\(e(stamp(record.customer.createdAt)))</td></tr>
            <tr><th>Contacts</th><td>\(record.customer.contacts)</td></tr>
            </table>
            <h2>Addresses</h2><table><tr><th>Channel</th><th>Address</th><th>First seen through</th><th>Since</th></tr>

            """
        for identity in record.identities {
            out +=
                "<tr><td>\(e(identity.channel))</td><td>\(e(identity.address))</td><td>\(e(identity.adapter))</td><td>\(e(stamp(identity.createdAt)))</td></tr>\n"
        }
        out += "</table>\n"
        if !record.merges.isEmpty {
            out += "<h2>Merges</h2><table><tr><th>Kept</th><th>Merged into it</th><th>By</th><th>When</th><th>Undone</th></tr>\n"
            for merge in record.merges {
                out +=
                    "<tr><td>\(merge.survivor)</td><td>\(merge.absorbed)</td><td>\(e(merge.mergedBy))</td><td>\(e(stamp(merge.mergedAt)))</td>"
                    + "<td>\(merge.undoneAt.map { e(stamp($0)) + " by " + e(merge.undoneBy ?? "?") } ?? "")</td></tr>\n"
            }
            out += "</table>\n"
        }
        for conversation in record.conversations {
            out +=
                "<h2>Conversation \(e(conversation.reference))</h2>\n<p class=\"meta\">Status \(e(conversation.status.rawValue))"
                + (conversation.owner.map { ", owner \(e($0))" } ?? "")
                + (conversation.tags.isEmpty ? "" : ", tags \(e(conversation.tags.joined(separator: ", ")))")
                + (conversation.mergedInto.map { ", merged into conversation \($0)" } ?? "") + "</p>\n"
            for message in conversation.messages {
                let who: String =
                    switch message.direction {
                    case .inbound: "Customer"
                    case .outbound: "Reply by \(message.author ?? "the business")"
                    case .note: "Internal note by \(message.author ?? "?")"
                    case .event: "Internal event"
                    }
                let css = message.internal ? "message internal" : "message \(message.direction.rawValue)"
                out +=
                    "<div class=\"\(css)\"><div class=\"meta\">\(e(who)) · \(e(stamp(message.createdAt)))"
                    + (message.channel.map { " · \(e($0))" } ?? "") + (message.adapter.map { " (\(e($0)))" } ?? "")
                    + (message.delivery.map {
                        " · delivery: \(e($0.state.rawValue))" + ($0.error.map { " (\(e($0)))" } ?? "") + ", \($0.attempts) attempt(s)"
                    } ?? "")
                    + "</div><pre>\(e(message.body))</pre>"
                if let original = message.originalBody { out += "<div class=\"meta\">First written as:</div><pre>\(e(original))</pre>" }
                for file in message.attachments ?? [] {
                    let name = e(file.fileName ?? file.kind) + (file.size.map { " (\($0) bytes)" } ?? "")
                    if let href = link(file, message.id) {
                        out += "<div>Attachment: <a href=\"\(e(href))\">\(name)</a></div>"
                    } else {
                        out +=
                            "<div>Attachment: \(name)"
                            + ((file.details ?? [:]).isEmpty
                                ? "" : " — " + e(file.details!.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")))
                            + "</div>"
                    }
                }
                out += "</div>\n"
            }
        }
        if !record.context.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let json = (try? encoder.encode(record.context)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            out += "<h2>Data from the business's systems, as last shown to agents</h2><pre>\(e(json))</pre>\n"
        }
        return out + "</body></html>\n"
    }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    /// HTML-escaped text (element content and quoted attribute values).
    static func e(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
