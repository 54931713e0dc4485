import Foundation

/// Orders hits by relevance, the same way whatever engine found them: where the words were found
/// (a customer's name over an address over a tag over a subject over a body), how often, whether
/// the terms stand together as typed, whether the accents match what was typed, and, between
/// equals, the newer first.
public enum SearchRanking {
    /// The hits, most relevant first (ties: newest first). `typed` is the query as the agent typed it.
    public static func ranked(_ hits: [SearchHit], terms: [SearchTerm], typed: String, now: Date) -> [SearchHit] {
        let exactWords = typedWords(typed)
        let scored = hits.map { ($0, score($0, terms: terms, exactWords: exactWords, now: now)) }
        return scored.sorted { a, b in
            a.1 != b.1 ? a.1 > b.1 : a.0.pagingID > b.0.pagingID
        }.map(\.0)
    }

    /// The score of one hit: higher is better.
    public static func score(_ hit: SearchHit, terms: [SearchTerm], typed: String, now: Date) -> Double {
        score(hit, terms: terms, exactWords: typedWords(typed), now: now)
    }

    /// The words as typed, lowercased (accents kept).
    static func typedWords(_ typed: String) -> Set<String> {
        Set(typed.lowercased().split(whereSeparator: { !SearchText.isWordCharacter($0) }).map(String.init))
    }

    static func score(_ hit: SearchHit, terms: [SearchTerm], exactWords: Set<String>, now: Date) -> Double {
        var fields: [(text: String, weight: Double)] = []
        switch hit.kind {
        case .conversation:
            if let name = hit.customer.name { fields.append((name, 8)) }
            fields += hit.addresses.map { ($0, 6) }
            fields += hit.tags.map { ($0, 4) }
        case .message:
            if let subject = hit.subject { fields.append((subject, 3)) }
            if let body = hit.body { fields.append((body, 1)) }
        }
        var total = 0.0
        for field in fields {
            let tokens = SearchText.tokens(field.text)
            guard !tokens.isEmpty else { continue }
            var fieldScore = 0.0
            for term in terms {
                let count = tokens.filter { token in term.tokens.contains { SearchText.wordMatches(token, $0) } }.count
                guard count > 0 else { continue }
                // Diminishing returns for repetition, a bonus for the very word typed.
                fieldScore += 1 + log(Double(count))
                if term.tokens.allSatisfy({ tokens.contains($0) }) { fieldScore += 0.5 }
            }
            // The terms together, in the order typed.
            if terms.count > 1, SearchTerm(text: "", tokens: terms.flatMap(\.tokens)).isFound(in: tokens) { fieldScore += Double(terms.count) }
            // Accents as typed (`camión` typed finds `camión` before `camion`).
            var written = Set<Substring>()
            for word in field.text.lowercased().split(whereSeparator: { !SearchText.isWordCharacter($0) })
            where exactWords.contains(String(word)) {
                written.insert(word)
            }
            fieldScore += Double(written.count) * 0.25
            // Short fields that are mostly the match (a subject, a name) say more than a long body.
            let density = min(1, Double(terms.count) / Double(tokens.count))
            total += field.weight * fieldScore * (1 + density)
        }
        // Newer a little higher: a year-old message needs a clearly better match to lead.
        let ageDays = max(0, now.timeIntervalSince(hit.createdAt) / 86_400)
        return total / (1 + ageDays / 365)
    }
}
