import Foundation

/// Cheap checks on the raw bytes, made before GMime sees them.
enum ByteScan {
    /// How many leading lines that are not header fields are skipped: an mbox `From ` line, a
    /// stray banner some forwarders put on top (`---- Original email message ----`), blank lines.
    static let maxLeadingJunkLines = 5

    /// `raw` from its first header line on; nil when none of the first lines is a header field,
    /// which is how a JSON body, an HTML page or binary noise is told from a mail.
    static func fromFirstHeader(_ raw: [UInt8]) -> ArraySlice<UInt8>? {
        var start = raw.startIndex
        for _ in 0...maxLeadingJunkLines {
            guard start < raw.endIndex else { return nil }
            if isHeaderLine(raw[start...]) { return raw[start...] }
            guard let newline = raw[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            start = newline + 1
        }
        return nil
    }

    /// `Name:` with a field name of printable ASCII other than `:` (RFC 5322 §2.2); some mailers put
    /// a space before the colon, which GMime accepts too.
    static func isHeaderLine<Line: RandomAccessCollection<UInt8>>(_ line: Line) -> Bool where Line.Index == Int {
        var index = line.startIndex
        while index < line.endIndex, line[index] > 32, line[index] < 127, line[index] != UInt8(ascii: ":") {
            index += 1
            if index - line.startIndex > 76 { return false }
        }
        guard index > line.startIndex else { return false }
        while index < line.endIndex, line[index] == 32 || line[index] == 9 { index += 1 }
        return index < line.endIndex && line[index] == UInt8(ascii: ":")
    }

    /// Case-insensitive occurrences of ASCII `needles` (given in lower case, each starting with a
    /// letter and none overlapping itself). It reads every byte of every message, so candidates
    /// are found with memchr (one pass per case of each first letter) and only they are compared.
    static func count(anyOf needles: [String], in bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var found = 0
            for needle in needles {
                let pattern = Array(needle.utf8)
                guard let first = pattern.first, pattern.count <= buffer.count else { continue }
                for variant in Set([first, first & ~0x20]) {
                    var offset = 0
                    while offset + pattern.count <= buffer.count,
                        let hit = memchr(base + offset, Int32(variant), buffer.count - pattern.count + 1 - offset)
                    {
                        let index = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                        var matched = 1
                        while matched < pattern.count, lower(buffer[index + matched]) == pattern[matched] { matched += 1 }
                        if matched == pattern.count { found += 1 }
                        offset = index + 1
                    }
                }
            }
            return found
        }
    }

    /// Whether the bytes `needle` occur in the UTF-8 of `text`. The quote stripper asks this of a
    /// mail's last lines for every footer phrase; Foundation's `contains` goes through NSString on
    /// Linux and cost more than GMime's whole parse.
    static func contains(_ text: some StringProtocol, _ needle: [UInt8]) -> Bool {
        var text = String(text)
        return text.withUTF8 { haystack in
            guard let base = haystack.baseAddress, let first = needle.first else { return needle.isEmpty }
            guard needle.count <= haystack.count else { return false }
            let last = haystack.count - needle.count
            var offset = 0
            while offset <= last, let hit = memchr(base + offset, Int32(first), last - offset + 1) {
                let index = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                if needle.withUnsafeBufferPointer({ memcmp(base + index, $0.baseAddress!, needle.count) == 0 }) { return true }
                offset = index + 1
            }
            return false
        }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (65...90).contains(byte) ? byte + 32 : byte
    }
}
