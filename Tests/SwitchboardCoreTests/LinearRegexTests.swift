import SwitchboardCore
import Testing

/// Rules' patterns: the usual syntax, matched in linear time, with what needs backtracking refused.
@Suite struct LinearRegexTests {
    @Test func theIssuesExampleMatchesWholeWordsInAnyCase() throws {
        let regex = try LinearRegex("(?i)\\b(factura|invoice)\\b")
        #expect(regex.matches("Hola, necesito la FACTURA de marzo"))
        #expect(regex.matches("invoice"))
        #expect(regex.matches("Where is my Invoice?"))
        #expect(!regex.matches("invoices are late"))
        #expect(!regex.matches("facturación"))
        #expect(!regex.matches("hello"))
    }

    @Test(arguments: [
        ("^abc$", "abc", true), ("^abc$", "xabc", false), ("a.c", "abc", true), ("a.c", "a\nc", false), ("(?s)a.c", "a\nc", true),
        ("[a-c]+x", "zzbcax", true), ("[^0-9]", "123", false), ("\\d{3}-\\d{2}", "tel 555-12", true), ("\\d{3,}", "12", false),
        ("colou?r", "color", true), ("colou?r", "colour", true), ("(ab)*c", "ababc", true), ("a{2,3}$", "aaaa", true),
        ("(?i)straße", "STRASSE", false), ("(?i)ÉCOLE", "école", true), ("\\bcat\\b", "concatenate", false), ("\\Bcat\\B", "concatenate", true),
        ("(?m)^b", "a\nb", true), ("^b", "a\nb", false), ("x|y|z", "--z--", true), ("\\.", "a.b", true), ("\\.", "ab", false),
        ("[\\w-]+@example\\.com", "write to jo-e@example.com", true), ("\\s", "nospace", false), ("(?<word>ok)", "ok", true),
        ("a{0}b", "b", true), ("", "anything", true), ("\\x41", "A", true), ("[.]", "a", false), ("(?i:ab)C", "abC", true),
        ("(?i:ab)C", "abc", false),
    ])
    func patterns(_ pattern: String, _ text: String, _ expected: Bool) throws {
        #expect(try LinearRegex(pattern).matches(text) == expected, "\(pattern) on \(text)")
    }

    @Test(arguments: [
        ("(a)\\1", "backreferences"), ("a(?=b)", "lookahead"), ("(?<=a)b", "lookbehind"), ("(?>a)", "atomic"), ("a++", "possessive"),
        ("(ab", "missing ')'"), ("ab)", "unbalanced"), ("[ab", "unterminated"), ("*a", "nothing to repeat"), ("a{3,2}", "below the minimum"),
        ("\\p{L}", "property"), ("a{5000}", "limited to"), ("\\q", "not a known escape"), ("(?z)", "unknown flag"), ("[z-a]", "backwards"),
    ])
    func refusedPatternsSayWhy(_ pattern: String, _ reason: String) {
        do {
            _ = try LinearRegex(pattern)
            Issue.record("\(pattern) compiled")
        } catch {
            #expect(error.message.contains(reason), "\(pattern): \(error.message)")
            #expect(error.message.contains("at position") || reason == "limited to" || reason == "too large", "\(error.message)")
        }
    }

    @Test func aCatastrophicPatternForBacktrackersIsLinearHere() throws {
        // (a+)+$ takes exponential time in a backtracking engine on "aaa…ab"; here it is one pass.
        let regex = try LinearRegex("(a+)+$")
        let text = String(repeating: "a", count: 5_000) + "b"
        #expect(regex.search(text) == .notMatched)
        #expect(try LinearRegex("(x+x+)+y").search(String(repeating: "x", count: 5_000)) == .notMatched)
    }

    @Test func theWorkIsBoundedByABudgetAndAnInputLimit() throws {
        let regex = try LinearRegex("(a|aa)*c")
        #expect(regex.search(String(repeating: "a", count: 2_000), budget: 1_000) == .tooCostly)
        // Only the first `limit` characters are read.
        #expect(try LinearRegex("needle").search(String(repeating: "x", count: 100) + "needle", limit: 50) == .notMatched)
    }
}
