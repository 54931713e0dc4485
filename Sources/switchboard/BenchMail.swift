import ArgumentParser
import Foundation

/// Raw e-mail for `bench --format email`: the files of a folder, re-sent with fresh ids so each
/// pass is stored anew while replies still thread to their own pass's messages.
enum BenchMail {
    static func load(folder: String) throws -> [[UInt8]] {
        let url = URL(fileURLWithPath: folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".eml") }.sorted() ?? []
        guard !names.isEmpty else { throw ValidationError("--mail-dir \(folder): no .eml files there") }
        return try names.map { Array(try Data(contentsOf: url.appendingPathComponent($0))) }
    }

    /// Prefixes every id in `Message-ID`, `In-Reply-To` and `References` (`<id>` → `<prefix id>`).
    static func fresh(_ mail: [UInt8], prefix: String) -> [UInt8] {
        let text = String(decoding: mail, as: UTF8.self)
        var out = ""
        out.reserveCapacity(text.utf8.count + 64)
        var inHeaders = true
        var inIDHeader = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if inHeaders {
                if line.isEmpty || line == "\r" {
                    inHeaders = false
                } else if line.first != " " && line.first != "\t" {
                    let name = line.prefix { $0 != ":" }.lowercased()
                    inIDHeader = name == "message-id" || name == "in-reply-to" || name == "references"
                }
                if inIDHeader {
                    out += line.replacingOccurrences(of: "<", with: "<" + prefix)
                    out += "\n"
                    continue
                }
            }
            out += line
            out += "\n"
        }
        out.removeLast()
        return Array(out.utf8)
    }
}
