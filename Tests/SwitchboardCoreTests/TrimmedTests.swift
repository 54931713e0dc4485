import Foundation
import SwitchboardAdapterAPI
import Testing

/// `trimmed` answers ASCII whitespace without Unicode's property table; it must still agree with
/// Foundation on everything Unicode calls White_Space, and leave everything else alone.
@Suite struct TrimmedTests {
    @Test func removesWhatFoundationRemovesAtBothEnds() {
        let spaces = [" ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}", "\u{2009}"]
        for space in spaces {
            let padded = space + "Hola, ¿me ayudas?" + space + space
            #expect(padded.trimmed == "Hola, ¿me ayudas?")
            #expect(padded.trimmed == padded.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(" \t\r\n\u{A0}".trimmed == "")
        #expect("".trimmed == "")
    }

    @Test func keepsInnerSpaceAndCharactersThatOnlyLookBlank() {
        #expect("  a \t b  ".trimmed == "a \t b")
        // Zero-width space and the byte-order mark are not White_Space: a body made of them stays.
        #expect("\u{200B}x\u{FEFF}".trimmed == "\u{200B}x\u{FEFF}")
        #expect("\u{1F}x\u{7F}".trimmed == "\u{1F}x\u{7F}")
        let untouched = "nada que recortar"
        #expect(untouched.trimmed == untouched)
    }
}
