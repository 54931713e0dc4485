import Foundation

/// The parts of a `multipart/form-data` body (RFC 7578), as browsers send a file: each part's
/// field name, file name and type from its headers, and its bytes. Only what an upload needs.
struct MultipartForm {
    struct Part {
        var name: String?
        var fileName: String?
        var contentType: String?
        var content: [UInt8]
    }

    /// The boundary of a `multipart/form-data; boundary=…` content type; nil for any other type.
    static func boundary(contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    /// The parts; nil when the body is not a well-formed form with that boundary.
    static func parse(_ body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var from = 0
        while let found = find(delimiter, in: body, from: from) {
            positions.append(found)
            from = found + delimiter.count
        }
        guard positions.count >= 2 else { return nil }
        var parts: [Part] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var cursor = start + delimiter.count
            // The delimiter line ends with CRLF; the part's content ends before the CRLF that precedes the next delimiter.
            guard cursor + 2 <= end, body[cursor] == 0x0D, body[cursor + 1] == 0x0A else { return nil }
            cursor += 2
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: cursor), headerEnd < end else { return nil }
            let headerText = String(decoding: body[cursor..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + 4
            let contentEnd = end - 2
            guard contentEnd >= contentStart, body[contentEnd] == 0x0D, body[contentEnd + 1] == 0x0A else { return nil }
            var part = Part(content: Array(body[contentStart..<contentEnd]))
            for line in headerText.components(separatedBy: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "content-type": part.contentType = pair[1]
                case "content-disposition":
                    part.name = parameter("name", in: pair[1])
                    part.fileName = parameter("filename*", in: pair[1]).flatMap(decodeExtended) ?? parameter("filename", in: pair[1])
                default: break
                }
            }
            parts.append(part)
        }
        return parts
    }

    /// A parameter of a header value (`form-data; name="file"; filename="a.pdf"`), unquoted.
    static func parameter(_ name: String, in value: String) -> String? {
        var rest = Substring(value)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop(while: { $0 == " " || $0 == "\t" })
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var after = rest[rest.index(after: equals)...]
            var parsed = ""
            if after.first == "\"" {
                after = after.dropFirst()
                var escaped = false
                var end = after.endIndex
                for index in after.indices {
                    let c = after[index]
                    if escaped {
                        parsed.append(c)
                        escaped = false
                    } else if c == "\\" {
                        escaped = true
                    } else if c == "\"" {
                        end = index
                        break
                    } else {
                        parsed.append(c)
                    }
                }
                rest = end < after.endIndex ? after[after.index(after: end)...] : after[after.endIndex...]
            } else {
                let end = after.firstIndex(of: ";") ?? after.endIndex
                parsed = after[..<end].trimmingCharacters(in: .whitespaces)
                rest = after[end...]
            }
            if key == name { return parsed }
        }
        return nil
    }

    /// RFC 5987 `UTF-8''percent%20encoded`.
    static func decodeExtended(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
