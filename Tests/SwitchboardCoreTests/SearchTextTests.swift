import Foundation
import Testing

@testable import SwitchboardCore

/// How search reads what agents type and shows what it found: folding, terms, snippets, ranking.
@Suite struct SearchTextTests {
    @Test func foldsCaseAndAccentsAndSplitsAtPunctuation() {
        #expect(SearchText.fold("Camión ÑANDÚ") == "camion nandu")
        #expect(SearchText.tokens("ana.garcia@example.com, +34 600") == ["ana", "garcia", "example", "com", "34", "600"])
        #expect(SearchText.tokens("¿Dónde está?") == ["donde", "esta"])
    }

    @Test func foldingAnswersAsFoundationDoes() {
        // ASCII is lowercased and other words remembered: the same answers as Foundation's folding.
        let ascii = (0..<128).map { String(UnicodeScalar(UInt8($0))) }.joined()
        var samples = [ascii, "Order A-482133", "TRK1000003", "", "ñandú", "Ñandú", "ÑANDÚ", "Ｃamión", "straße", "Øre", "ǅemal", "İstanbul"]
        samples += HistoryVocabulary.firstNames + HistoryVocabulary.lastNames + HistoryVocabulary.cities + HistoryVocabulary.products
        samples += HistoryVocabulary.inbound.flatMap { $0.split(separator: " ").map(String.init) }
        for sample in samples {
            #expect(SearchText.fold(sample) == SearchText.foundationFold(sample), "\(sample)")
            #expect(SearchText.fold(sample) == SearchText.foundationFold(sample), "\(sample), remembered")
        }
    }

    @Test func asciiShortcutsAnswerAsTheCharacterRulesDo() {
        for code in 0..<128 {
            let character = Character(UnicodeScalar(UInt8(code)))
            #expect(SearchText.isWordCharacter(character) == (character.isLetter || character.isNumber), "\(code)")
        }
        // The rule on characters, which the byte comparison of ASCII words must agree with.
        func reference(_ document: String, _ query: String) -> Bool {
            if document == query { return true }
            let (short, long) = document.count <= query.count ? (document, query) : (query, document)
            guard short.count >= 4 else { return false }
            let shared = zip(short, long).prefix { $0 == $1 }.count
            return shared >= 4 && shared >= short.count - 1 && long.count - shared <= 4
        }
        let words = [
            "order", "orders", "ordered", "orde", "ord", "camion", "camiones", "camino", "llego", "llegaron", "llenos", "is", "i", "", "pedido",
            "pedidos", "a482133", "482133", "4821", "48213", "trk1000003", "camión", "camiónes", "ñandu",
        ]
        for a in words {
            for b in words { #expect(SearchText.wordMatches(a, b) == reference(a, b), "\(a) \(b)") }
        }
    }

    @Test func termsAreWordsAndAddressesArePhrases() {
        let terms = SearchTerm.parse("  Camión  ana.garcia@example.com camión -- ")
        #expect(terms.map(\.text) == ["camion", "ana.garcia@example.com"])
        #expect(terms[1].tokens == ["ana", "garcia", "example", "com"])
        #expect(terms[1].isFound(in: SearchText.tokens("write to ana.garcia@example.com today")))
        #expect(!terms[1].isFound(in: SearchText.tokens("ana wrote to garcia at example.com")))
        #expect(SearchTerm.parse("a b c d e f g h i j k l m n", limit: 3).count == 3)
    }

    @Test func wordsMatchTheirStemmedForms() {
        #expect(SearchText.wordMatches("orders", "order"))
        #expect(SearchText.wordMatches("camiones", "camion"))
        #expect(!SearchText.wordMatches("camino", "camion"))
        #expect(SearchText.wordMatches("llegaron", "llego"), "a Spanish verb's endings, as the stemmer reads them")
        #expect(!SearchText.wordMatches("llegaron", "llenos"))
        #expect(!SearchText.wordMatches("is", "i"), "short words match only exactly")
    }

    @Test func snippetsMarkMatchesAsDataAroundTheFirstOne() {
        let long =
            String(repeating: "filler words here ", count: 20) + "the <b>camión</b> arrived late, camion again "
            + String(repeating: "tail ", count: 40)
        let parts = SearchSnippet.make(long, terms: SearchTerm.parse("camion"))
        #expect(parts.first?.text.hasPrefix("…") == true)
        #expect(parts.last?.text.hasSuffix("…") == true)
        #expect(parts.filter { $0.match == true }.map(\.text) == ["camión", "camion"])
        let text = parts.map(\.text).joined()
        #expect(text.contains("<b>camión</b>"), "markup stays text: the client renders parts as text")
        #expect(text.count <= SearchSnippet.width + 2)
        // Without a match: the start.
        #expect(SearchSnippet.make("short text", terms: SearchTerm.parse("zzz")) == [SnippetPart("short text")])
    }

    @Test func cardsPutTheMatchingFieldFirst() {
        let parts = SearchSnippet.card(
            name: "Olga Núñez", addresses: ["olga@example.com", "+34600111222"], tags: ["vip"], terms: SearchTerm.parse("vip"))
        #expect(parts.map(\.text).joined() == "#vip · Olga Núñez · olga@example.com · +34600111222")
        #expect(parts.filter { $0.match == true }.map(\.text) == ["vip"])
    }

    @Test func relevancePrefersNamesSubjectsAndTheWordsTogether() {
        let now = Date()
        let terms = SearchTerm.parse("lost parcel")
        func message(_ id: Int64, _ body: String, subject: String? = nil, age: Double = 0) -> SearchHit {
            SearchHit(
                kind: .message, conversation: 1, message: id, customer: CustomerRef(id: 1, name: nil),
                createdAt: now.addingTimeInterval(-age * 86_400), status: .open, body: body, subject: subject)
        }
        let together = message(1, "my parcel is lost, the lost parcel was blue")
        let apart = message(2, "I lost my keys; also a parcel came")
        let subject = message(3, "see attached", subject: "Lost parcel")
        let ranked = SearchRanking.ranked([apart, together, subject], terms: terms, typed: "lost parcel", now: now)
        #expect(ranked.map(\.message) == [3, 1, 2])
        // Equal matches: the newer first.
        let older = message(4, "lost parcel", age: 200)
        let newer = message(5, "lost parcel", age: 1)
        #expect(SearchRanking.ranked([older, newer], terms: terms, typed: "lost parcel", now: now).map(\.message) == [5, 4])
    }

    /// The scoring as it was before its shortcuts (Foundation's folding, Unicode's properties for
    /// every character): relevance must order hits exactly as it did.
    static func referenceScore(_ hit: SearchHit, terms: [SearchTerm], typed: String, now: Date) -> Double {
        func tokens(_ text: String) -> [String] {
            text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { SearchText.foundationFold(String($0)) }
        }
        func matches(_ document: String, _ query: String) -> Bool {
            if document == query { return true }
            let (short, long) = document.count <= query.count ? (document, query) : (query, document)
            guard short.count >= 4 else { return false }
            let shared = zip(short, long).prefix { $0 == $1 }.count
            return shared >= 4 && shared >= short.count - 1 && long.count - shared <= 4
        }
        func found(_ words: [String], in document: [String]) -> Bool {
            guard document.count >= words.count else { return false }
            for start in 0...(document.count - words.count) where zip(document[start...], words).allSatisfy({ matches($0, $1) }) { return true }
            return false
        }
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
        let exactWords = Set(typed.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        for field in fields {
            let tokens = tokens(field.text)
            guard !tokens.isEmpty else { continue }
            var fieldScore = 0.0
            for term in terms {
                let count = tokens.filter { token in term.tokens.contains { matches(token, $0) } }.count
                guard count > 0 else { continue }
                fieldScore += 1 + log(Double(count))
                if term.tokens.allSatisfy({ tokens.contains($0) }) { fieldScore += 0.5 }
            }
            if terms.count > 1, found(terms.flatMap(\.tokens), in: tokens) { fieldScore += Double(terms.count) }
            let written = Set(field.text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
            fieldScore += Double(exactWords.intersection(written).count) * 0.25
            let density = min(1, Double(terms.count) / Double(tokens.count))
            total += field.weight * fieldScore * (1 + density)
        }
        let ageDays = max(0, now.timeIntervalSince(hit.createdAt) / 86_400)
        return total / (1 + ageDays / 365)
    }

    @Test func relevanceScoresAsBeforeItsShortcuts() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var bodies = HistoryVocabulary.inbound + HistoryVocabulary.outbound + HistoryVocabulary.notes + HistoryVocabulary.subjects
        bodies += ["Camión CAMION camiones — ¿llegó? ÑANDÚ ½ ² Ｃamión straße İstanbul", "", "A-482133 TRK1000003 pedido, pedidos; PEDIDO"]
        let queries =
            ["pedido", "camion Madrid", "Lucía García", "A-482133", "lavadora pedido", "camión", "LLEGÓ tarde", "straße", "İstanbul"]
            + HistoryVocabulary.commonWords.prefix(5) + HistoryVocabulary.mediumWords.prefix(5)
        for typed in queries {
            let terms = SearchTerm.parse(typed)
            for (index, body) in bodies.enumerated() {
                let message = SearchHit(
                    kind: .message, conversation: 1, message: Int64(index), customer: CustomerRef(id: 1, name: nil),
                    createdAt: now.addingTimeInterval(-Double(index) * 3_600), status: .open, body: body,
                    subject: index % 3 == 0 ? bodies[(index + 7) % bodies.count] : nil)
                #expect(
                    SearchRanking.score(message, terms: terms, typed: typed, now: now)
                        == Self.referenceScore(message, terms: terms, typed: typed, now: now))
            }
            for (first, last) in zip(HistoryVocabulary.firstNames, HistoryVocabulary.lastNames) {
                let card = SearchHit(
                    kind: .conversation, conversation: 2, customer: CustomerRef(id: 2, name: "\(first) \(last)"), createdAt: now, status: .open,
                    addresses: ["\(SearchText.fold(first)).\(SearchText.fold(last))@example.com"], tags: ["pedido"])
                #expect(
                    SearchRanking.score(card, terms: terms, typed: typed, now: now) == Self.referenceScore(card, terms: terms, typed: typed, now: now)
                )
            }
        }
    }
}
