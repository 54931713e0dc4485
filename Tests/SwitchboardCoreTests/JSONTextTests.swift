import Foundation
import Testing

@testable import SwitchboardCore

/// JSON written by hand on the ingest path reads back as what `JSONCoding` writes.
@Suite struct JSONTextTests {
    @Test func metadataObjectsMatchTheEncoders() throws {
        let samples: [[String: String]] = [
            ["subject": "Order A-482133 / refund", "channel": "email"],
            ["quote": "She said \"no\"\\ then\nleft\tnow\r", "bell": "\u{07}", "url": "https://example.com/a/b"],
            ["ñandú": "Camión", "emoji": "👋🏽", "empty": ""],
        ]
        for sample in samples {
            let text = JSONText.object(sample)
            let decoded = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            #expect(decoded == sample)
            // ASCII keys: the same bytes as the encoder's sorted keys.
            if sample.keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }), !sample.values.contains(where: { $0.contains("\u{07}") }) {
                #expect(text == String(decoding: JSONCoding.encode(sample), as: UTF8.self))
            }
        }
        #expect(JSONText.object([:]) == "{}")
    }

    @Test func quotedStringsReadBackAsTheText() throws {
        for text in ["", "plain", "\"", "\\", "a\"b\\c\nd\re\tf\u{01}g\u{1f}", "ends with \n", "\u{0}", "Camión 👋🏽 \"quoted\""] {
            let quoted = JSONText.quoted(text)
            #expect(try JSONDecoder().decode(String.self, from: Data(quoted.utf8)) == text, "\(quoted)")
            #expect(quoted.utf8.allSatisfy { $0 >= 0x20 }, "no raw control character in \(quoted)")
        }
        #expect(JSONText.quoted("a\u{07}b") == #""a\u0007b""#)
    }
}
