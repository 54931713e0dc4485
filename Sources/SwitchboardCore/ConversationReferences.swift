/// The reference a customer quotes to find their conversation again: `SB-000123-K7QMX`. The number
/// is the conversation's, readable on the phone; the check part is computed from the gateway's key,
/// so references cannot be enumerated: `SB-000124-…` is not guessable from `SB-000123-…`.
public struct ConversationReferences: Sendable {
    let key: GatewayKey

    /// Check symbols: 25 bits.
    static let checkLength = 5

    /// `SB-`, the conversation number (at least six digits), `-` and the check part.
    public func format(_ conversationID: Int64) -> String {
        let digits = String(conversationID)
        return "SB-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "-" + check(conversationID)
    }

    func check(_ conversationID: Int64) -> String {
        Base32.crockford(key.mac("reference:\(conversationID)"), symbols: Self.checkLength)
    }

    /// The first reference in `text` whose check part is right (case-insensitive; `O`/`I`/`L`
    /// read as `0`/`1`), if any. A reference with a wrong or missing check part is no reference.
    public func find(in text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        var i = 0
        while i + 3 < bytes.count {
            defer { i += 1 }
            guard bytes[i] | 0x20 == UInt8(ascii: "s"), bytes[i + 1] | 0x20 == UInt8(ascii: "b"), bytes[i + 2] == UInt8(ascii: "-")
            else { continue }
            if i > 0, Self.isWordByte(bytes[i - 1]) { continue }
            var j = i + 3
            var id: Int64 = 0
            while j < bytes.count, j - (i + 3) < 12, bytes[j] >= 0x30, bytes[j] <= 0x39 {
                id = id * 10 + Int64(bytes[j] - 0x30)
                j += 1
            }
            guard j > i + 3, id > 0, j < bytes.count, bytes[j] == UInt8(ascii: "-") else { continue }
            let end = j + 1 + Self.checkLength
            guard end <= bytes.count, end == bytes.count || !Self.isWordByte(bytes[end]) else { continue }
            let given = bytes[(j + 1)..<end].map(Base32.normalize)
            let expected = Array(check(id).utf8)
            // Constant time over the symbols: the comparison must not tell how much was right.
            var difference: UInt8 = 0
            for (g, e) in zip(given, expected) { difference |= (g ?? 0) ^ e }
            if difference == 0, !given.contains(nil) { return id }
        }
        return nil
    }

    /// Letters, digits and anything beyond ASCII count as part of a word.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A) || byte >= 0x80
    }
}
