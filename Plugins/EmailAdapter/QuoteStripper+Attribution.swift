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
        guard last.utf8.count <= 400, endsLikeAttribution(last) else { return nil }
        var quoteFollows: Bool?
        func quoted() -> Bool {
            if quoteFollows == nil { quoteFollows = nextContentLine(lines, after: end)?.hasPrefix(">") ?? false }
            return quoteFollows!
        }
        // Every attribution has a time, an address or a quote after it: most lines ending in a
        // colon have none of them and cost no more than this look at their bytes.
        let evidence = lines[max(0, end - 2)...end].contains { line in
            line.utf8.count <= 400 && line.utf8.contains { $0 == UInt8(ascii: "@") || (0x30...0x39).contains($0) }
        }
        guard evidence || quoted() else { return nil }
        // Each line of the run is normalised and lower-cased once; the runs join them.
        var runs: [(start: Int, text: String)] = []
        var joined = ""
        for start in stride(from: end, through: max(0, end - 2), by: -1) {
            let line = start == end ? last : lines[start].trimmed
            if line.isEmpty || line.hasPrefix(">") { break }
            let lowered = normalized(line).lowercased()
            joined = start == end ? lowered : lowered + " " + joined
            guard joined.utf8.count <= 400 else { break }
            runs.append((start, joined))
        }
        var verdicts: [Bool?] = Array(repeating: nil, count: runs.count)
        func reads(_ index: Int) -> Bool {
            if let known = verdicts[index] { return known }
            let verdict = isAttribution(runs[index].text, quoteFollows: quoted)
            verdicts[index] = verdict
            return verdict
        }
        if let opened = runs.indices.first(where: { startsWithOpening(runs[$0].text) && reads($0) }) {
            return runs[opened].start
        }
        guard let index = runs.indices.first(where: reads) else { return nil }
        var chosen = index
        while chosen + 1 < runs.count {
            let text = runs[chosen].text
            let above = normalized(lines[runs[chosen + 1].start].trimmed)
            if ".!?。！？".contains(above.last ?? ".") { break }
            let takesAddress = !text.utf8.contains(UInt8(ascii: "@")) && above.utf8.contains(UInt8(ascii: "@"))
            let takesTime = !hasTime(text) && hasTime(above)
            let hangs = above.hasSuffix("<") || above.hasSuffix("(") || above.hasSuffix(",")
            guard takesAddress || takesTime || hangs else { break }
            chosen += 1
        }
        return runs[chosen].start
    }

    private static let openingBytes: [[UInt8]] = attributionOpenings.map { Array($0.utf8) }

    /// Begins with an opening word, after the dashes or `*` Zoho and some relays put around it.
    private static func startsWithOpening(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var start = 0
            while start < bytes.count, [UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: " ")].contains(bytes[start]) {
                start += 1
            }
            return openingBytes.contains { opening in
                bytes.count - start >= opening.count && bytes[start..<(start + opening.count)].elementsEqual(opening)
            }
        }
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
        let addressed = core.utf8.contains(UInt8(ascii: "@"))
        let timed = hasTime(core)
        // The verb ends the line, or only the author or the date follow it (`schrieb Ann <…>:`,
        // `schrieb am Mo., 8. Jan. 2024, 10:15:`). Looked for last: it is the dearest test.
        if timed || addressed || quoteFollows(), hasVerb(nearEndOf: core) { return true }
        return text.hasSuffix(">:") && addressed && timed
    }

    /// At most this many bytes follow the verb of an attribution (the author and the date).
    static let maxBytesAfterVerb = 200

    /// The verbs' bytes one after another, sorted by first byte, with where each verb is and
    /// where the verbs of each first byte are: a look-up per byte of the tail, a comparison only
    /// with the one to three verbs that begin with it.
    private static let verbTable: (bytes: [UInt8], spans: [Range<Int>], byFirstByte: [Range<Int>]) = {
        let verbs = attributionVerbs.map { Array($0.utf8) }.sorted { $0[0] < $1[0] }
        var bytes: [UInt8] = []
        var spans: [Range<Int>] = []
        var byFirstByte = Array(repeating: 0..<0, count: 256)
        for (index, verb) in verbs.enumerated() {
            spans.append(bytes.count..<(bytes.count + verb.count))
            bytes += verb
            let first = Int(verb[0])
            byFirstByte[first] = byFirstByte[first].isEmpty ? index..<(index + 1) : byFirstByte[first].lowerBound..<(index + 1)
        }
        return (bytes, spans, byFirstByte)
    }()

    /// Whether an attribution verb ends within the last ``maxBytesAfterVerb`` bytes of `text`.
    /// Compared on the bytes: Latin and Cyrillic verbs must stand as whole words.
    static func hasVerb(nearEndOf text: String) -> Bool {
        var text = text
        let table = verbTable
        return text.withUTF8 { bytes in
            table.bytes.withUnsafeBufferPointer { verbs in
                func isLetterByte(_ byte: UInt8) -> Bool {
                    byte >= 0x80 || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                }
                var position = max(0, bytes.count - maxBytesAfterVerb - 40)
                while position < bytes.count {
                    defer { position += 1 }
                    for candidate in table.byFirstByte[Int(bytes[position])] {
                        let span = table.spans[candidate]
                        let end = position + span.count
                        guard end <= bytes.count, bytes.count - end <= maxBytesAfterVerb else { continue }
                        var offset = 1
                        while offset < span.count, bytes[position + offset] == verbs[span.lowerBound + offset] { offset += 1 }
                        guard offset == span.count else { continue }
                        // Words of alphabetic scripts (first byte below the CJK range) need boundaries.
                        if bytes[position] < 0xE0 {
                            if position > 0, isLetterByte(bytes[position - 1]) { continue }
                            if end < bytes.count, isLetterByte(bytes[end]) { continue }
                        }
                        return true
                    }
                }
                return false
            }
        }
    }

    /// A clock time (`10:15`, `8.02`) or a year (`19xx`, `20xx`) standing as a number of its own.
    static func hasTime(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
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
                    isDigit(end + 1), isDigit(end + 2), !isDigit(end + 3)
                {
                    return true
                }
                index = end
            }
            return false
        }
    }

    /// Trimmed, with no-break and narrow spaces made plain and the full-width colon made ASCII, so
    /// `a écrit\u{A0}:` and `发件人：` read like their plain forms.
    static func normalized(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: { $0.value == 0xA0 || $0.value == 0x202F || $0.value == 0x2007 || $0.value == 0xFF1A }) else {
            return line
        }
        return String(
            String.UnicodeScalarView(
                line.unicodeScalars.map { scalar -> Unicode.Scalar in
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
