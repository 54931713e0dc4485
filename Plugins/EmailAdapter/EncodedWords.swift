internal import CGMime

/// A repair for one RFC 2047 case GMime gets wrong: adjacent base64 encoded words whose first one
/// ends in `=` padding. GMime joins the payloads of adjacent words of one charset before decoding
/// (to mend multi-byte characters split across words), and a padded payload in the middle ends the
/// decoding there, losing the rest of the subject (Zammad's mail027).
enum EncodedWords {
    /// The header decoded word by word, or nil when GMime's own decoding can be trusted.
    static func repaired(raw: String, options: OpaquePointer?) -> String? {
        // Only a padded word (`…=?=`) needs it; checked on the bytes first, as almost no header has one.
        guard containsPaddedEnd(raw) else { return nil }
        let words = split(raw)
        let padded = words.indices.dropLast().contains { index in
            words[index].isEncoded && words[index].text.lowercased().contains("?b?")
                && words[index].text.hasSuffix("=?=") && words[(index + 1)...].first(where: { !$0.isBlank })?.isEncoded == true
        }
        guard padded else { return nil }
        var result = ""
        for (index, word) in words.enumerated() {
            // Blanks between two encoded words are not part of the text (RFC 2047 §6.2).
            if word.isBlank, index > 0, words[index - 1].isEncoded, index + 1 < words.count, words[index + 1].isEncoded { continue }
            result += GMimeRuntime.takeString(g_mime_utils_header_decode_text(options, word.text)) ?? word.text
        }
        return result
    }

    private static func containsPaddedEnd(_ raw: String) -> Bool {
        var last: (UInt8, UInt8) = (0, 0)
        for byte in raw.utf8 {
            if last == (UInt8(ascii: "="), UInt8(ascii: "?")) && byte == UInt8(ascii: "=") { return true }
            last = (last.1, byte)
        }
        return false
    }

    private struct Word {
        var text: String
        var isEncoded: Bool
        var isBlank: Bool { !isEncoded && text.allSatisfy(\.isWhitespace) }
    }

    private static func split(_ raw: String) -> [Word] {
        var words: [Word] = []
        var rest = Substring(raw)
        while let start = rest.range(of: "=?") {
            guard let end = encodedWordEnd(rest[start.lowerBound...]) else { break }
            if start.lowerBound > rest.startIndex { words.append(Word(text: String(rest[..<start.lowerBound]), isEncoded: false)) }
            words.append(Word(text: String(rest[start.lowerBound..<end]), isEncoded: true))
            rest = rest[end...]
        }
        if !rest.isEmpty { words.append(Word(text: String(rest), isEncoded: false)) }
        return words
    }

    /// `=?charset?B?payload?=`: three `?` after the opening, then `?=`.
    private static func encodedWordEnd(_ text: Substring) -> Substring.Index? {
        var questionMarks = 0
        var index = text.index(text.startIndex, offsetBy: 2)
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace { return nil }
            if character == "?" {
                questionMarks += 1
                let next = text.index(after: index)
                if questionMarks >= 3, next < text.endIndex, text[next] == "=" { return text.index(after: next) }
            }
            index = text.index(after: index)
        }
        return nil
    }
}
