import Foundation

/// A piece of a snippet: plain text, marked when it is a word the agent searched for. Snippets are
/// data, never markup: a client shows each part as text and highlights the matches itself, so a
/// customer's `<script>` stays the characters they typed.
public struct SnippetPart: Sendable, Codable, Equatable {
    public var text: String
    /// True for a match; absent otherwise.
    public var match: Bool?

    public init(_ text: String, match: Bool = false) {
        self.text = text
        self.match = match ? true : nil
    }
}

/// Builds snippets: the passage of a text around its first match, with every match marked.
public enum SearchSnippet {
    /// At most this many characters of text around the first match.
    public static let width = 160

    /// The passage of `text` around the first word matching a term, cut at word boundaries with
    /// `…` where it was cut, every matching word marked. Without a match: the start of the text.
    public static func make(_ text: String, terms: [SearchTerm], width: Int = width) -> [SnippetPart] {
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\t", with: " ")
        let words = SearchText.wordRanges(in: flat)
        let wanted = Set(terms.flatMap(\.tokens))
        let matched = words.filter { range in
            let folded = SearchText.fold(String(flat[range]))
            return wanted.contains { SearchText.wordMatches(folded, $0) }
        }
        // The window: from a little before the first match, `width` characters long.
        var start = flat.startIndex
        if let first = matched.first {
            let lead = flat.distance(from: flat.startIndex, to: first.lowerBound)
            if lead > width / 3 {
                start = flat.index(first.lowerBound, offsetBy: -(width / 3))
                // Begin at a word.
                if let word = words.first(where: { $0.lowerBound >= start }), word.lowerBound <= first.lowerBound { start = word.lowerBound }
            }
        }
        var end = flat.index(start, offsetBy: width, limitedBy: flat.endIndex) ?? flat.endIndex
        if end < flat.endIndex, let word = words.last(where: { $0.upperBound <= end }), word.upperBound > start { end = word.upperBound }

        var parts: [SnippetPart] = []
        var cursor = start
        func plain(_ upTo: String.Index) {
            guard cursor < upTo else { return }
            parts.append(SnippetPart(String(flat[cursor..<upTo])))
        }
        for range in matched where range.lowerBound >= start && range.upperBound <= end {
            plain(range.lowerBound)
            parts.append(SnippetPart(String(flat[range]), match: true))
            cursor = range.upperBound
        }
        plain(end)
        if start > flat.startIndex { prepend("…", to: &parts) }
        if end < flat.endIndex { append("…", to: &parts) }
        return merged(parts)
    }

    /// A conversation found by its customer or tags: `Name · address · address · #tag`.
    public static func card(name: String?, addresses: [String], tags: [String], terms: [SearchTerm]) -> [SnippetPart] {
        var fields = [name].compactMap { $0 }.filter { !$0.isEmpty } + addresses + tags.map { "#\($0)" }
        // The fields that matched first, so a long list of addresses does not hide the match.
        let wanted = terms.flatMap(\.tokens)
        let matching = fields.filter { field in SearchText.tokens(field).contains { token in wanted.contains { SearchText.wordMatches(token, $0) } } }
        fields = matching + fields.filter { !matching.contains($0) }
        return make(fields.joined(separator: " · "), terms: terms, width: width)
    }

    private static func prepend(_ text: String, to parts: inout [SnippetPart]) {
        parts.insert(SnippetPart(text), at: 0)
    }

    private static func append(_ text: String, to parts: inout [SnippetPart]) {
        parts.append(SnippetPart(text))
    }

    /// Neighbouring plain parts joined.
    private static func merged(_ parts: [SnippetPart]) -> [SnippetPart] {
        var out: [SnippetPart] = []
        for part in parts where !part.text.isEmpty {
            if part.match == nil, let last = out.last, last.match == nil {
                out[out.count - 1].text += part.text
            } else {
                out.append(part)
            }
        }
        return out
    }
}
