import SwitchboardAdapterAPI

/// One complete IMAP server response: its text with the CRLFs removed and each literal's bytes
/// set aside, so a message body can never be mistaken for protocol text.
struct IMAPResponseLine: Sendable, Equatable {
    /// The response without its literals' contents; each `{n}` marker stays in place.
    var text: [UInt8] = []
    var literals: [[UInt8]] = []
    /// For each literal, where its `{n}` marker starts in `text`.
    var literalMarkers: [Int] = []

    /// Lossy, for matching keywords and for error messages.
    var string: String { String(decoding: text, as: UTF8.self) }

    func isTagged(_ tag: String) -> Bool {
        let prefix = Array(tag.utf8) + [UInt8(ascii: " ")]
        return text.starts(with: prefix)
    }
}

/// Splits the byte stream from an IMAP server into responses (RFC 3501 §4.3, §7): a line ending
/// in `{n}` is followed by exactly n bytes of literal data, then the line continues.
struct IMAPResponseReader {
    /// A literal larger than this would be a message no mail system accepts; refusing it keeps a
    /// broken or hostile server from exhausting memory.
    static let maxLiteral = 128 * 1024 * 1024
    static let maxLine = 1024 * 1024

    private var buffer: [UInt8] = []
    private var start = 0
    private var partial = IMAPResponseLine()
    private var pendingLiteral: Int?

    mutating func append(_ bytes: some Sequence<UInt8>) {
        // Drops consumed bytes only now and then, so long literals are not copied once per read.
        if start > 65_536 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete response, or nil until more bytes arrive.
    mutating func next() throws(MailTransportError) -> IMAPResponseLine? {
        while true {
            if let length = pendingLiteral {
                guard buffer.count - start >= length else { return nil }
                partial.literals.append(Array(buffer[start..<start + length]))
                start += length
                pendingLiteral = nil
                continue
            }
            guard let lineEnd = crlf(from: start) else {
                if buffer.count - start > Self.maxLine {
                    throw MailTransportError("IMAP: server sent a line longer than \(Self.maxLine) bytes")
                }
                return nil
            }
            let line = buffer[start..<lineEnd]
            start = lineEnd + 2
            if let (markerStart, length) = Self.literalMarker(line) {
                guard length <= Self.maxLiteral else {
                    throw MailTransportError(
                        "IMAP: server announced a \(length)-byte literal, over the \(Self.maxLiteral)-byte limit", permanent: true)
                }
                partial.literalMarkers.append(partial.text.count + markerStart)
                partial.text.append(contentsOf: line)
                pendingLiteral = length
                continue
            }
            partial.text.append(contentsOf: line)
            defer { partial = IMAPResponseLine() }
            return partial
        }
    }

    private func crlf(from index: Int) -> Int? {
        var i = index
        while i + 1 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// `{123}` or the non-synchronizing `{123+}` at the very end of a line: where it starts
    /// (relative to the line) and the announced length.
    static func literalMarker(_ line: ArraySlice<UInt8>) -> (start: Int, length: Int)? {
        guard line.last == UInt8(ascii: "}") else { return nil }
        var i = line.endIndex - 2
        if i >= line.startIndex && line[i] == UInt8(ascii: "+") { i -= 1 }
        let digitsEnd = i + 1
        while i >= line.startIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[i]) { i -= 1 }
        guard i >= line.startIndex, line[i] == UInt8(ascii: "{"), i + 1 < digitsEnd, digitsEnd - (i + 1) <= 12 else { return nil }
        let length = line[(i + 1)..<digitsEnd].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return (i - line.startIndex, length)
    }
}

/// Reads the answers to the few commands the transport sends.
enum IMAPResponseParser {
    /// The UIDs in `* SEARCH 3 7 9` responses (there may be several, or none when nothing matched).
    static func searchResults(_ responses: [IMAPResponseLine]) -> [UInt32] {
        var uids: [UInt32] = []
        for response in responses {
            let words = response.string.split(separator: " ")
            guard words.count >= 2, words[0] == "*", words[1].uppercased() == "SEARCH" else { continue }
            // Anything that is not a number (a CONDSTORE "(MODSEQ n)" suffix) is not a UID.
            uids += words.dropFirst(2).compactMap { UInt32($0) }
        }
        return uids
    }

    /// The `UIDVALIDITY` a `SELECT`/`EXAMINE` answered with (`* OK [UIDVALIDITY 3857529045] …`).
    static func uidValidity(_ responses: [IMAPResponseLine]) -> UInt32? {
        responseCode("UIDVALIDITY", in: responses)
    }

    /// The `UIDNEXT` a `SELECT`/`EXAMINE` answered with (`* OK [UIDNEXT 4392] …`).
    static func uidNext(_ responses: [IMAPResponseLine]) -> UInt32? {
        responseCode("UIDNEXT", in: responses)
    }

    private static func responseCode(_ name: String, in responses: [IMAPResponseLine]) -> UInt32? {
        let prefix = "* OK [\(name) "
        for response in responses {
            let upper = response.string.uppercased()
            guard upper.hasPrefix(prefix), let close = upper.firstIndex(of: "]") else { continue }
            let start = upper.index(upper.startIndex, offsetBy: prefix.count)
            if start < close, let value = UInt32(upper[start..<close]) { return value }
        }
        return nil
    }

    /// Whether a `* CAPABILITY …` response names `IDLE` (RFC 2177).
    static func offersIdle(_ responses: [IMAPResponseLine]) -> Bool {
        responses.contains { response in
            let words = response.string.uppercased().split(separator: " ")
            return words.count > 2 && words[0] == "*" && words[1] == "CAPABILITY" && words.contains("IDLE")
        }
    }

    /// `* 12 EXISTS`: the mailbox holds more messages than before.
    static func isExists(_ response: IMAPResponseLine) -> Bool {
        let words = response.string.split(separator: " ")
        return words.count == 3 && words[0] == "*" && UInt32(words[1]) != nil && words[2].uppercased() == "EXISTS"
    }

    /// The `BODY[]` value of the `* n FETCH (…)` response for this UID, byte for byte.
    static func fetchedBody(_ responses: [IMAPResponseLine], uid: UInt32) -> [UInt8]? {
        for response in responses {
            let text = response.text
            guard isFetch(text), fetchedUID(text) == uid, let at = find(Array("BODY[] ".utf8), in: text) else { continue }
            let valueStart = at + 7
            if let index = response.literalMarkers.firstIndex(of: valueStart), index < response.literals.count {
                return response.literals[index]
            }
            if valueStart < text.count, text[valueStart] == UInt8(ascii: "\"") {
                return quotedString(text, from: valueStart)
            }
        }
        return nil
    }

    /// `* 12 FETCH (`
    private static func isFetch(_ text: [UInt8]) -> Bool {
        let words = text.prefix(64).split(separator: UInt8(ascii: " "), maxSplits: 3)
        return words.count >= 3 && words[0].elementsEqual("*".utf8)
            && String(decoding: words[2], as: UTF8.self).uppercased() == "FETCH"
    }

    private static func fetchedUID(_ text: [UInt8]) -> UInt32? {
        for marker in ["(UID ", " UID "] {
            guard let at = find(Array(marker.utf8), in: text) else { continue }
            let digits = text[(at + marker.utf8.count)...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            return UInt32(String(decoding: digits, as: UTF8.self))
        }
        return nil
    }

    private static func quotedString(_ text: [UInt8], from start: Int) -> [UInt8]? {
        var out: [UInt8] = []
        var i = start + 1
        while i < text.count {
            switch text[i] {
            case UInt8(ascii: "\\") where i + 1 < text.count:
                out.append(text[i + 1])
                i += 2
            case UInt8(ascii: "\""):
                return out
            default:
                out.append(text[i])
                i += 1
            }
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
