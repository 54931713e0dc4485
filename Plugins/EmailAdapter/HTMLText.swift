/// Turns HTML mail into readable text: scripts, styles and the head are dropped, block elements
/// become line breaks, list items get a dash, links keep their target, entities are decoded, and
/// quoted history (`<blockquote>`, the quote containers of mail clients: see ``QuoteTracker``) is
/// prefixed with `> ` so the quote stripper treats it like a plain-text quote. It never fails:
/// malformed markup degrades to text.
enum HTMLText {
    static func plainText(fromHTML html: String) -> String {
        var reader = Reader(Array(html.unicodeScalars))
        var sink = Sink()
        var quotes = QuoteTracker()
        var skipUntil: String?
        var links: [String?] = []
        while let token = reader.next() {
            switch token {
            case .text(let text):
                guard skipUntil == nil else { continue }
                let decoded = Entities.decode(text)
                quotes.text(decoded)
                sink.quoteDepth = quotes.depth
                sink.text(decoded)
            case .tag(let name, let closing, let attributes):
                if let skipping = skipUntil {
                    if closing && name == skipping { skipUntil = nil }
                    continue
                }
                if !closing, skippedElements.contains(name) {
                    skipUntil = name
                    continue
                }
                if closing { quotes.closed(name) } else { quotes.opened(name, attributes: attributes) }
                sink.quoteDepth = quotes.depth
                handle(name, closing: closing, attributes: attributes, sink: &sink, links: &links)
            }
        }
        return sink.finished()
    }

    private static let skippedElements: Set<String> = ["script", "style", "head", "title", "noscript", "template", "xml", "svg"]
    private static let paragraphElements: Set<String> = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "hr"]
    private static let lineElements: Set<String> = [
        "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "address", "center", "form",
        "fieldset", "main", "nav", "aside", "figure", "figcaption", "caption", "tbody", "thead", "tfoot",
    ]

    private static func handle(_ name: String, closing: Bool, attributes: [String: String], sink: inout Sink, links: inout [String?]) {
        switch name {
        case "br":
            sink.lineBreak()
        case "blockquote":
            sink.block(2)
        case "pre":
            sink.block(2)
            sink.preformatted = !closing
        case "li" where !closing:
            sink.block(1)
            sink.text("- ")
        case "td", "th":
            if !closing { sink.cellSeparator() }
        case "a":
            if closing {
                if let target = links.popLast(), let target { sink.link(target) }
            } else {
                links.append(linkTarget(attributes["href"]))
                sink.markLinkStart()
            }
        case "img" where !closing:
            if let alt = attributes["alt"]?.trimmed, !alt.isEmpty { sink.text("[\(Entities.decode(alt))]") }
        default:
            if paragraphElements.contains(name) { sink.block(2) } else if lineElements.contains(name) { sink.block(1) }
        }
    }

    /// Links worth keeping: web and mail targets, not page anchors or scripts.
    private static func linkTarget(_ href: String?) -> String? {
        guard let href = href.map({ Entities.decode($0).trimmed }), !href.isEmpty else { return nil }
        let lower = href.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:") else { return nil }
        return href
    }
}

extension HTMLText {
    enum Token {
        case text(String)
        case tag(name: String, closing: Bool, attributes: [String: String])
    }

    /// A forgiving tokenizer: comments, doctypes and processing instructions vanish; a `<` that
    /// opens no tag is text.
    struct Reader {
        private let scalars: [Unicode.Scalar]
        private var index = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        mutating func next() -> Token? {
            guard index < scalars.count else { return nil }
            if scalars[index] == "<" {
                if let tag = readTag() { return tag }
                index += 1
                return .text("<")
            }
            let start = index
            while index < scalars.count, scalars[index] != "<" { index += 1 }
            return .text(String(String.UnicodeScalarView(scalars[start..<index])))
        }

        private mutating func readTag() -> Token? {
            if starts(with: "<!--") {
                index = find("-->", from: index + 4).map { $0 + 3 } ?? scalars.count
                return .text("")
            }
            guard index + 1 < scalars.count else { return nil }
            let next = scalars[index + 1]
            if next == "!" || next == "?" {
                index = find(">", from: index).map { $0 + 1 } ?? scalars.count
                return .text("")
            }
            var cursor = index + 1
            let closing = next == "/"
            if closing { cursor += 1 }
            let nameStart = cursor
            while cursor < scalars.count, scalars[cursor].properties.isAlphabetic || ("0"..."9").contains(scalars[cursor]) || scalars[cursor] == ":" {
                cursor += 1
            }
            guard cursor > nameStart else { return nil }
            let name = String(String.UnicodeScalarView(scalars[nameStart..<cursor])).lowercased()
            var attributes: [String: String] = [:]
            while cursor < scalars.count, scalars[cursor] != ">" {
                if scalars[cursor].properties.isWhitespace || scalars[cursor] == "/" {
                    cursor += 1
                    continue
                }
                let attrStart = cursor
                while cursor < scalars.count, !scalars[cursor].properties.isWhitespace, !"=>/".unicodeScalars.contains(scalars[cursor]) {
                    cursor += 1
                }
                let attrName = String(String.UnicodeScalarView(scalars[attrStart..<cursor])).lowercased()
                while cursor < scalars.count, scalars[cursor].properties.isWhitespace { cursor += 1 }
                var value = ""
                if cursor < scalars.count, scalars[cursor] == "=" {
                    cursor += 1
                    while cursor < scalars.count, scalars[cursor].properties.isWhitespace { cursor += 1 }
                    if cursor < scalars.count, scalars[cursor] == "\"" || scalars[cursor] == "'" {
                        let quote = scalars[cursor]
                        let valueStart = cursor + 1
                        let end = find(quote, from: valueStart) ?? scalars.count
                        value = String(String.UnicodeScalarView(scalars[valueStart..<end]))
                        cursor = min(scalars.count, end + 1)
                    } else {
                        let valueStart = cursor
                        while cursor < scalars.count, !scalars[cursor].properties.isWhitespace, scalars[cursor] != ">" { cursor += 1 }
                        value = String(String.UnicodeScalarView(scalars[valueStart..<cursor]))
                    }
                }
                if cursor == attrStart { cursor += 1 }
                if !attrName.isEmpty, attributes[attrName] == nil { attributes[attrName] = value }
            }
            index = min(scalars.count, cursor + 1)
            return .tag(name: name, closing: closing, attributes: attributes)
        }

        private func starts(with text: String) -> Bool {
            var cursor = index
            for scalar in text.unicodeScalars {
                guard cursor < scalars.count, scalars[cursor] == scalar else { return false }
                cursor += 1
            }
            return true
        }

        private func find(_ text: String, from start: Int) -> Int? {
            let pattern = Array(text.unicodeScalars)
            var cursor = start
            while cursor + pattern.count <= scalars.count {
                if scalars[cursor] == pattern[0], Array(scalars[cursor..<cursor + pattern.count]) == pattern { return cursor }
                cursor += 1
            }
            return nil
        }

        private func find(_ scalar: Unicode.Scalar, from start: Int) -> Int? {
            var cursor = start
            while cursor < scalars.count {
                if scalars[cursor] == scalar { return cursor }
                cursor += 1
            }
            return nil
        }
    }
}
