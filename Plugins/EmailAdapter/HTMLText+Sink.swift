extension HTMLText {
    /// Collects the text with collapsed whitespace, pending line breaks and quote prefixes.
    struct Sink {
        /// The most `> ` put before a line, however deep the quotes nest.
        static let maxQuotePrefix = 8
        var quoteDepth = 0
        var preformatted = false
        private var out = ""
        private var pendingBreaks = 0
        private var pendingSpace = false
        private var atLineStart = true
        private var linkText: String?

        mutating func text(_ text: String) {
            for character in text {
                if character == "\n" || character == "\r\n", preformatted {
                    pendingBreaks += 1
                    continue
                }
                if character.isWhitespace, !preformatted {
                    pendingSpace = true
                    continue
                }
                flush(space: !(character.isWhitespace))
                out.append(character)
                linkText?.append(character)
                atLineStart = false
            }
        }

        mutating func block(_ breaks: Int) {
            pendingBreaks = max(pendingBreaks, breaks)
            pendingSpace = false
        }

        mutating func lineBreak() {
            pendingBreaks = min(pendingBreaks + 1, 2)
            pendingSpace = false
        }

        mutating func cellSeparator() {
            if !atLineStart { pendingSpace = true }
        }

        mutating func markLinkStart() {
            linkText = ""
        }

        /// Appends the target after the link text unless the text already says it.
        mutating func link(_ target: String) {
            let shown = (linkText ?? "").trimmed
            linkText = nil
            let address = target.lowercased().hasPrefix("mailto:") ? String(target.dropFirst(7)) : target
            guard !shown.isEmpty, shown != target, shown != address, !target.hasSuffix(shown) || shown.count < 4 else { return }
            text(" (\(address))")
        }

        private mutating func flush(space: Bool) {
            if pendingBreaks > 0 {
                if !out.isEmpty { out += String(repeating: "\n", count: pendingBreaks) }
                pendingBreaks = 0
                pendingSpace = false
                atLineStart = true
            }
            if atLineStart {
                // Bounded: thousands of nested <blockquote>s would otherwise repeat thousands of
                // `> ` on every line, output growing with depth × lines.
                if quoteDepth > 0 { out += String(repeating: "> ", count: min(quoteDepth, Self.maxQuotePrefix)) }
            } else if pendingSpace, space {
                out.append(" ")
                linkText?.append(" ")
            }
            pendingSpace = false
        }

        /// The text with trailing blanks cut from every line and at most one empty line in a row.
        func finished() -> String {
            var lines: [Substring] = []
            var blank = 0
            for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = line
                while let last = line.last, last.isWhitespace { line = line.dropLast() }
                let isBlank = line.isEmpty || line.allSatisfy { $0 == ">" || $0 == " " }
                blank = isBlank ? blank + 1 : 0
                if blank <= 1 { lines.append(line) }
            }
            while let first = lines.first, first.isEmpty { lines.removeFirst() }
            while let last = lines.last, last.isEmpty || last.allSatisfy({ $0 == ">" || $0 == " " }) { lines.removeLast() }
            return lines.joined(separator: "\n")
        }
    }
}
