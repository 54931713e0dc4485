/// Attribution lines: `On Mon, 8 Jan 2024 at 10:15, Ann <ann@example.org> wrote:` as mail clients
/// write them in many languages, over up to three lines, with or without the `>` quote after them.
extension QuoteStripper {
    /// Verbs of attributions, lower-cased. Latin and Cyrillic ones match as whole words (so
    /// `(a)`, `(ла)` may follow them).
    static let attributionVerbs = [
        "wrote", "writes", "schrieb", "geschrieben", "écrit", "escribió", "escribio", "escrit", "escriure", "scritto",
        "escreveu", "schreef", "geschreven", "skrev", "kirjoitti", "napisał", "napisała", "napisal", "napisana", "pisze",
        "napsal", "napísal", "написал", "написала", "пишет", "написав", "пише", "写道", "寫道", "작성", "쓴 글",
        "のメッセージ", "さんは書きました", "yazdı", "írta",
    ]

    /// How attributions begin in the languages whose verb comes last or second.
    static let attributionOpenings = [
        "on ", "am ", "le ", "el ", "il ", "op ", "den ", "em ", "no dia ", "w dniu ", "dnia ", "在", "på ", "in data ",
        "at ", "dne ",
    ]

    /// The first line of an attribution whose last line is `end`; nil when `end` closes none.
    /// The attribution is the shortest run of lines (at most three, none blank or quoted) that reads
    /// as one: an opening word, a verb near the end, and a time, an address or a `>` quote after
    /// it. Without a verb (Gmail's `2014-03-20 8:48 GMT+01:00 Ann <ann@example.org>:`, Russian and
    /// Japanese Gmail) it needs a time and ends in `<address>:`. A reply line directly above is
    /// never taken in: a run starting with an opening word is preferred, and a run without one
    /// only grows upward to take in the author's address or the time it lacks.
    static func attributionStart(_ lines: [String], endingAt end: Int) -> Int? {
        let last = lines[end].trimmed
        guard endsLikeAttribution(last) else { return nil }
        var runs: [(start: Int, text: String)] = []
        var joined = ""
        for start in stride(from: end, through: max(0, end - 2), by: -1) {
            let line = start == end ? last : lines[start].trimmed
            if line.isEmpty || line.hasPrefix(">") { break }
            joined = start == end ? line : line + " " + joined
            guard joined.utf8.count <= 400 else { break }
            // Zoho and some relays put dashes or `*` around it.
            runs.append((start, String(normalized(joined).lowercased().drop { "-*_ ".contains($0) })))
        }
        var quoteFollows: Bool?
        func reads(_ text: String) -> Bool {
            isAttribution(text) {
                if quoteFollows == nil { quoteFollows = nextContentLine(lines, after: end)?.hasPrefix(">") ?? false }
                return quoteFollows!
            }
        }
        if let opened = runs.first(where: { run in attributionOpenings.contains { run.text.hasPrefix($0) } && reads(run.text) }) {
            return opened.start
        }
        guard let index = runs.firstIndex(where: { reads($0.text) }) else { return nil }
        var chosen = index
        while chosen + 1 < runs.count {
            let text = runs[chosen].text
            let above = normalized(lines[runs[chosen + 1].start].trimmed)
            if ".!?。！？".contains(above.last ?? ".") { break }
            let takesAddress = !text.contains("@") && above.contains("@")
            let takesTime = !hasTime(text) && hasTime(above)
            let hangs = above.hasSuffix("<") || above.hasSuffix("(") || above.hasSuffix(",")
            guard takesAddress || takesTime || hangs else { break }
            chosen += 1
        }
        return runs[chosen].start
    }

    /// Ends in a colon (ASCII or full-width, maybe after a space), or in a verb followed by dashes
    /// (Zoho's `---- On … wrote ----`).
    private static func endsLikeAttribution(_ line: String) -> Bool {
        guard let last = line.last else { return false }
        if last == ":" || last == "：" { return true }
        guard last == "-" else { return false }
        let core = line.lowercased().trimmingSuffix { $0 == "-" || $0 == " " }
        return attributionVerbs.contains { core.hasSuffix($0) }
    }

    /// `text` is lower-cased and normalised; `quoteFollows` is asked only when needed.
    static func isAttribution(_ text: String, quoteFollows: () -> Bool) -> Bool {
        let core = text.trimmingSuffix { $0 == ":" || $0 == "-" || $0 == " " }
        // The verb ends the line, or only the author or the date follow it (`schrieb Ann <…>:`,
        // `schrieb am Mo., 8. Jan. 2024, 10:15:`).
        if hasVerb(nearEndOf: core) {
            return hasTime(core) || core.contains("@") || quoteFollows()
        }
        return text.hasSuffix(">:") && core.contains("@") && hasTime(core)
    }

    /// At most this many bytes follow the verb of an attribution (the author and the date).
    static let maxBytesAfterVerb = 200

    private static let verbBytes: [[UInt8]] = attributionVerbs.map { Array($0.utf8) }
    private static let verbsByFirstByte: [UInt8: [Int]] = Dictionary(grouping: verbBytes.indices) { verbBytes[$0][0] }

    /// Whether an attribution verb ends within the last ``maxBytesAfterVerb`` bytes of `text`.
    /// Compared on the bytes, starting only where a verb's first byte is: this runs for every line
    /// that ends in a colon. Latin and Cyrillic verbs must stand as whole words.
    static func hasVerb(nearEndOf text: String) -> Bool {
        let bytes = Array(text.utf8)
        let from = max(0, bytes.count - maxBytesAfterVerb - 40)
        func isLetterByte(_ byte: UInt8) -> Bool {
            byte >= 0x80 || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
        }
        for position in from..<bytes.count {
            guard let candidates = verbsByFirstByte[bytes[position]] else { continue }
            for candidate in candidates {
                let verb = verbBytes[candidate]
                let end = position + verb.count
                guard end <= bytes.count, bytes.count - end <= maxBytesAfterVerb, bytes[position..<end].elementsEqual(verb) else { continue }
                // Words of alphabetic scripts (first byte below the CJK range) need boundaries.
                if verb[0] < 0xE0 {
                    if position > 0, isLetterByte(bytes[position - 1]) { continue }
                    if end < bytes.count, isLetterByte(bytes[end]) { continue }
                }
                return true
            }
        }
        return false
    }

    /// A clock time (`10:15`, `8.02`) or a year (`19xx`, `20xx`) standing as a number of its own.
    static func hasTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func isDigit(_ index: Int) -> Bool { index >= 0 && index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 }
        var index = 0
        while index < bytes.count {
            guard isDigit(index) else {
                index += 1
                continue
            }
            var end = index
            while isDigit(end) { end += 1 }
            let length = end - index
            if length == 4, bytes[index] == 0x31 && bytes[index + 1] == 0x39 || bytes[index] == 0x32 && bytes[index + 1] == 0x30 {
                return true
            }
            if length <= 2, end < bytes.count, bytes[end] == UInt8(ascii: ":") || bytes[end] == UInt8(ascii: "."),
               isDigit(end + 1), isDigit(end + 2), !isDigit(end + 3) {
                return true
            }
            index = end
        }
        return false
    }

    /// Trimmed, with no-break and narrow spaces made plain and the full-width colon made ASCII, so
    /// `a écrit\u{A0}:` and `发件人：` read like their plain forms.
    static func normalized(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: { $0.value == 0xA0 || $0.value == 0x202F || $0.value == 0x2007 || $0.value == 0xFF1A }) else {
            return line
        }
        return String(String.UnicodeScalarView(line.unicodeScalars.map { scalar -> Unicode.Scalar in
            switch scalar.value {
            case 0xA0, 0x202F, 0x2007: " "
            case 0xFF1A: ":"
            default: scalar
            }
        }))
    }
}

extension String {
    /// The string without the trailing characters that match.
    func trimmingSuffix(while matches: (Character) -> Bool) -> String {
        var end = endIndex
        while end > startIndex, matches(self[index(before: end)]) { end = index(before: end) }
        return String(self[..<end])
    }
}
