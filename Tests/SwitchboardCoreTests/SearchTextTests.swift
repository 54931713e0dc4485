import Foundation
@testable import SwitchboardCore
import Testing

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
}
