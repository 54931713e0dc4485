import Foundation
import Synchronization

/// How search reads text, once for every engine: case and accents folded (`Camión` → `camion`),
/// words split at anything that is not a letter or a digit (as SQLite's `unicode61` tokenizer
/// splits them), so `ana.garcia@example.com` is the words `ana garcia example com`.
public enum SearchText {
    /// `text` without case or diacritics (`Ñandú` → `nandu`).
    ///
    /// Foundation's folding costs microseconds a call on Linux, and relevance folds every word of
    /// hundreds of hits: ASCII (most words) is folded by lowercasing it, which is what Foundation
    /// does to it, and other words are remembered once folded (a vocabulary is small).
    public static func fold(_ text: String) -> String {
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            guard utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
            return String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        guard utf8.count <= 64 else { return foundationFold(text) }  // words are remembered, not texts
        if let folded = foldedWords.withLock({ $0[text] }) { return folded }
        let folded = foundationFold(text)
        foldedWords.withLock { words in
            if words.count >= 50_000 { words.removeAll(keepingCapacity: true) }
            words[text] = folded
        }
        return folded
    }

    /// Foundation's folding, which ``fold(_:)`` answers like.
    static func foundationFold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    private static let foldedWords = Mutex<[String: String]>([:])

    /// The folded words of `text`, in order.
    public static func tokens(_ text: String) -> [String] {
        wordRanges(in: text).map { fold(String(text[$0])) }
    }

    /// Where each word of `text` is (unfolded), in order.
    public static func wordRanges(in text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let isWord = isWordCharacter(text[index])
            if isWord, start == nil { start = index }
            if !isWord, let s = start {
                ranges.append(s..<index)
                start = nil
            }
            index = text.index(after: index)
        }
        if let s = start { ranges.append(s..<text.endIndex) }
        return ranges
    }

    /// A letter or a digit. ASCII is answered from its code (Unicode's property tables cost a
    /// lookup per character, and ranking reads hundreds of messages).
    static func isWordCharacter(_ character: Character) -> Bool {
        if let ascii = character.asciiValue {
            return (ascii >= 0x30 && ascii <= 0x39) || (ascii | 0x20 >= 0x61 && ascii | 0x20 <= 0x7A)
        }
        return character.isLetter || character.isNumber
    }

    /// Whether a word of a document answers a word of a query. The SQL engines stem (`orders`
    /// finds `order`, `camiones` finds `camión`, `llegó` finds `llegaron`), so a shared beginning of
    /// four letters or more counts too when it leaves the shorter word at most one letter of ending
    /// and the longer at most four: highlighting and relevance see what the engine found.
    public static func wordMatches(_ document: String, _ query: String) -> Bool {
        if document == query { return true }
        // ASCII (most folded words): the same comparison on bytes, which are its characters.
        let d = document.utf8
        let q = query.utf8
        if d.allSatisfy({ $0 < 0x80 }), q.allSatisfy({ $0 < 0x80 }) {
            let (short, long) = d.count <= q.count ? (d, q) : (q, d)
            guard short.count >= 4 else { return false }
            let shared = zip(short, long).prefix { $0 == $1 }.count
            return shared >= 4 && shared >= short.count - 1 && long.count - shared <= 4
        }
        let (short, long) = document.count <= query.count ? (document, query) : (query, document)
        guard short.count >= 4 else { return false }
        let shared = zip(short, long).prefix { $0 == $1 }.count
        return shared >= 4 && shared >= short.count - 1 && long.count - shared <= 4
    }
}

/// One word of what the agent typed: its folded form and the words it splits into (an address is
/// one term of several tokens, matched as a phrase).
public struct SearchTerm: Sendable, Equatable {
    /// The word as typed, folded (`ana.garcia@example.com`, `camion`).
    public var text: String
    /// Its tokens (`ana`, `garcia`, `example`, `com`), never empty.
    public var tokens: [String]

    public init(text: String, tokens: [String]) {
        self.text = text
        self.tokens = tokens
    }

    /// The terms of a query: whitespace-separated words, each with at least one token; at most
    /// `limit` (the rest is ignored: nobody types twenty words to find a message).
    public static func parse(_ query: String, limit: Int = 12) -> [SearchTerm] {
        var terms: [SearchTerm] = []
        for word in query.split(whereSeparator: { $0.isWhitespace }) {
            let tokens = SearchText.tokens(String(word))
            guard !tokens.isEmpty else { continue }
            let term = SearchTerm(text: SearchText.fold(String(word)), tokens: tokens)
            if !terms.contains(term) { terms.append(term) }
            if terms.count == limit { break }
        }
        return terms
    }

    /// Whether these tokens (a document's, in order) contain this term: its tokens one after the other.
    public func isFound(in document: [String]) -> Bool {
        guard document.count >= tokens.count else { return false }
        if tokens.count == 1 { return document.contains { SearchText.wordMatches($0, tokens[0]) } }
        for start in 0...(document.count - tokens.count)
        where zip(document[start...], tokens).allSatisfy({ SearchText.wordMatches($0, $1) }) {
            return true
        }
        return false
    }
}
