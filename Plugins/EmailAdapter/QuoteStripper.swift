/// Finds the new part of a reply: the text above the quoted history, without the signature, the
/// device line ("Sent from my iPhone") and a mailing list's footer. What it cuts is never lost: the
/// whole body is kept beside it (`full_text`) whenever something was cut. When in doubt it keeps
/// text, and when the cut would leave nothing (a forward, a mail that is only a quote) the whole
/// text is the new part. Every step looks at each line a bounded number of times: the cost is
/// linear in the body, whatever it holds.
enum QuoteStripper {
    static func newText(of body: String) -> String {
        split(body).text
    }

    /// The new text, and whether anything (history, signature, footer) was cut from the body to get it.
    static func split(_ body: String) -> (text: String, cut: Bool) {
        let all = lines(of: body)
        let lines = Array(all[..<(listFooterStart(all) ?? all.count)])
        let continued = quoteContinuations(lines)
        var kept: [String]
        switch historyStart(lines, continued: continued) {
        case .cut(let start):
            kept = Array(lines[..<start])
        case .inline(let attribution):
            kept = unquoted(lines, dropping: attribution, continued: continued)
        case .forward:
            kept = lines
        case nil:
            kept = withoutOuterQuotes(lines, continued: continued)
        }
        if let signature = signatureStart(kept[...]) { kept = Array(kept[..<signature]) }
        let text = kept.joined(separator: "\n").trimmed
        return text.isEmpty ? (body.trimmed, false) : (text, kept.count < all.count)
    }

    /// The lines between CRLF, CR or LF breaks. Split on the UTF-8 bytes: Foundation's
    /// `replacingOccurrences` goes through NSString on Linux and cost more than the rest of the
    /// stripping together. Every index used is a character boundary (a line break always is one,
    /// and a CRLF pair is skipped as one).
    static func lines(of text: String) -> [String] {
        var lines: [String] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                utf8.formIndex(after: &index)
                continue
            }
            lines.append(String(text[start..<index]))
            utf8.formIndex(after: &index)
            if byte == UInt8(ascii: "\r"), index != utf8.endIndex, utf8[index] == UInt8(ascii: "\n") {
                utf8.formIndex(after: &index)
            }
            start = index
        }
        lines.append(String(text[start...]))
        return lines
    }

    enum History: Equatable {
        /// Everything from this line on is history.
        case cut(Int)
        /// The attribution (its lines) of a `>` quote that is answered below or in between.
        case inline(ClosedRange<Int>)
        /// A forwarded mail begins before any history: all of it is new to us.
        case forward
    }

    /// The first reply header (`On … wrote:` in many languages, `-----Original Message-----`, an
    /// Outlook `From:/Sent:` block) outside `>` quotes, or a forward's banner above any of them.
    /// `continued` marks the lines of rewrapped quotes (``quoteContinuations(_:)``).
    static func historyStart(_ lines: [String], continued: [Bool]) -> History? {
        for index in lines.indices {
            let line = lines[index].trimmed
            guard !line.isEmpty, !line.hasPrefix(">") else { continue }
            switch banner(line) {
            case .forward: return .forward
            case .separator: return .cut(index)
            case .dashed: if originalFollows(lines, after: index) { return .cut(index) }
            case nil: break
            }
            if let start = attributionStart(lines, endingAt: index) {
                let quoteFollows = nextContentLine(lines, after: index)?.hasPrefix(">") ?? false
                return quoteFollows && isAnsweredInline(lines[(index + 1)...], continued: continued) ? .inline(start...index) : .cut(start)
            }
            if let start = headerBlockStart(lines, at: index) { return .cut(start) }
        }
        return nil
    }

    static func nextContentLine(_ lines: [String], after index: Int) -> String? {
        var next = index + 1
        while next < lines.count {
            let text = lines[next].trimmed
            if !text.isEmpty { return text }
            next += 1
        }
        return nil
    }

    /// Replies written between or below the quoted lines are the new text: cutting there would lose
    /// them. A line that only continues a rewrapped quote, a signature, a device line or another
    /// reply header below the quote are not answers.
    private static func isAnsweredInline(_ rest: ArraySlice<String>, continued: [Bool]) -> Bool {
        var sawQuote = false
        for index in rest.indices {
            let text = rest[index].trimmed
            if text.hasPrefix(">") {
                sawQuote = true
            } else if sawQuote, !text.isEmpty {
                if continued[index] { continue }
                return !(isSignatureDelimiter(rest[index]) || isDeviceSignature(text) || isSeparator(text))
            }
        }
        return false
    }

    /// The lines that are not quoted, without the attribution and the rewrapped quote lines; runs of
    /// blank lines left where quotes were become one.
    private static func unquoted(_ lines: [String], dropping attribution: ClosedRange<Int>, continued: [Bool]) -> [String] {
        var kept: [String] = []
        for index in lines.indices {
            let text = lines[index].trimmed
            if attribution.contains(index) || text.hasPrefix(">") || continued[index] { continue }
            if text.isEmpty, kept.last?.trimmed.isEmpty ?? true { continue }
            kept.append(lines[index])
        }
        return kept
    }

    /// Without a reply header, a `>` block at the top (bottom-posting) and one at the end
    /// (top-posting) are history; quotes between the customer's lines stay, as they are part of
    /// what the customer wrote. A quoted forward stays too.
    private static func withoutOuterQuotes(_ lines: [String], continued: [Bool]) -> [String] {
        var start = 0
        while start < lines.count {
            let text = lines[start].trimmed
            guard text.isEmpty || text.hasPrefix(">") || continued[start] else { break }
            start += 1
        }
        if start == lines.count || !lines[..<start].contains(where: { $0.trimmed.hasPrefix(">") }) || quotesForward(lines[..<start]) {
            start = 0
        }
        var end = lines.count
        while end > start {
            let text = lines[end - 1].trimmed
            guard text.isEmpty || text.hasPrefix(">") || continued[end - 1] else { break }
            end -= 1
        }
        if quotesForward(lines[end...]) { end = lines.count }
        return Array(lines[start..<end])
    }

    /// Whether the first quoted line of a block is a forward's banner.
    private static func quotesForward(_ block: ArraySlice<String>) -> Bool {
        guard let first = block.lazy.map({ unquotedText($0) }).first(where: { !$0.isEmpty }) else { return false }
        return isForwardBanner(first)
    }

    /// A quoted line without its `>` marks.
    static func unquotedText(_ line: String) -> String {
        String(line.trimmed.drop { $0 == ">" || $0 == " " })
    }

    /// Which lines lost their `>` when a client rewrapped the quote: a run of lines directly below
    /// a quoted line, each continuing the line above it (``continuesWrapped(_:after:)``), with the
    /// quote, a blank line or the end right after the run. A run that text follows is the
    /// customer's. One pass: every line is looked at once or twice.
    static func quoteContinuations(_ lines: [String]) -> [Bool] {
        var continued = Array(repeating: false, count: lines.count)
        var index = 0
        while index < lines.count {
            let quoted = lines[index].trimmed
            index += 1
            // Most quoted lines have the quote or a blank line below them: nothing to look at.
            guard quoted.hasPrefix(">"), index < lines.count else { continue }
            let below = lines[index].trimmed
            guard !below.isEmpty, !below.hasPrefix(">") else { continue }
            var above = unquotedText(quoted)
            var end = index
            while end < lines.count {
                let text = lines[end].trimmed
                guard continuesWrapped(text, after: above) else { break }
                above = text
                end += 1
            }
            guard end > index else { continue }
            let following = end < lines.count ? lines[end].trimmed : ""
            if following.isEmpty || following.hasPrefix(">") {
                for line in index..<end { continued[line] = true }
            }
            index = end
        }
        return continued
    }

    /// `text` can be the wrapped rest of `above`: `above` is long enough to have been wrapped,
    /// `text` is no wider than the width it was wrapped at (80 columns, or as wide as `above`, up to
    /// 100), and it does not read as an answer to it (it starts in lower case, or `above` stops
    /// mid-sentence). Neither is blank or quoted.
    static func continuesWrapped(_ text: String, after above: String) -> Bool {
        guard !text.isEmpty, !text.hasPrefix(">") else { return false }
        let width = columns(above)
        guard width >= 50, columns(text) <= max(80, min(100, width + 2)) else { return false }
        let startsLower = text.first.map { $0.isLowercase } ?? false
        let sentenceEnded = above.last.map { ".!?:;。！？".contains($0) } ?? true
        return startsLower || !sentenceEnded
    }

    /// The width of a line in columns: East Asian characters take two.
    static func columns(_ text: String) -> Int {
        var width = 0
        for scalar in text.unicodeScalars {
            width += scalar.value >= 0x1100 && (scalar.value <= 0x115F || scalar.value >= 0x2E80) ? 2 : 1
            if width > 200 { break }
        }
        return width
    }
}
