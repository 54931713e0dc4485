/// Builds the header list from the raw lines curl hands to the header callback.
///
/// curl reports every header block it sees (1xx interim answers, then the final one, then
/// trailers); the caller wants the final answer's headers, so a new status line starts over.
struct ResponseHeaders {
    private(set) var fields: [(name: String, value: String)] = []

    mutating func consume(_ raw: UnsafeRawBufferPointer) {
        // Header bytes are not guaranteed UTF-8; a lossy decode beats dropping the header.
        // Character.isNewline, because Swift sees "\r\n" as one Character.
        var line = Substring(String(decoding: raw, as: UTF8.self))
        while let last = line.last, last.isNewline { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            fields.removeAll(keepingCapacity: true)
        } else if line.isEmpty {
            return
        } else if let first = line.first, first == " " || first == "\t" {
            // Obsolete line folding: the line continues the previous header's value.
            guard !fields.isEmpty else { return }
            fields[fields.count - 1].value += " " + trimmed(line)
        } else if let colon = line.firstIndex(of: ":") {
            fields.append((name: trimmed(line[..<colon]), value: trimmed(line[line.index(after: colon)...])))
        }
    }

    private func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
