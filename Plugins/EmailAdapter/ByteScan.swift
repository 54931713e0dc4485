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

    /// Case-insensitive occurrences of an ASCII `needle` (given in lower case). On the raw buffer:
    /// it reads every byte of every message.
    static func count(_ needle: String, in bytes: [UInt8]) -> Int {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first, bytes.count >= pattern.count else { return 0 }
        return bytes.withUnsafeBufferPointer { buffer in
            var found = 0
            var index = 0
            let last = buffer.count - pattern.count
            while index <= last {
                if buffer[index] | 0x20 == first {
                    var matched = 1
                    while matched < pattern.count, lower(buffer[index + matched]) == pattern[matched] { matched += 1 }
                    if matched == pattern.count {
                        found += 1
                        index += pattern.count
                        continue
                    }
                }
                index += 1
            }
            return found
        }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (65...90).contains(byte) ? byte + 32 : byte
    }
}
