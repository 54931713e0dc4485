import Crypto

/// The gateway's own secret: random bytes made once and kept in the database, so every gateway on
/// that database and every restart compute the same values from it. From it come the values a
/// stranger must neither guess nor forge: the check part of conversation references and the tag in
/// the ids our replies carry (an e-mail's Message-ID, which bounces and replies quote back).
public struct GatewayKey: Sendable {
    /// Kept as bytes: `SymmetricKey` is not `Sendable`.
    private let bytes: [UInt8]

    /// How many random bytes a new key has.
    public static let size = 32

    public init(_ bytes: [UInt8]) {
        precondition(bytes.count >= 16, "a gateway key needs at least 128 bits")
        self.bytes = bytes
    }

    /// Fresh random bytes for a new key (the system's CSPRNG).
    public static func generate() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<size).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// HMAC-SHA256 of `label`: one key, many purposes, each under its own label.
    func mac(_ label: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(label.utf8), using: SymmetricKey(data: bytes)))
    }

    /// 32 bytes for one purpose (e.g. sealing single sign-on's state cookie), the same on every
    /// gateway of the database and unrelated to every other purpose's.
    public func derivedKey(_ purpose: String) -> [UInt8] {
        mac("derived-key:\(purpose)")
    }

    /// References with a check part only this key computes.
    public var references: ConversationReferences { ConversationReferences(key: self) }

    /// The tag our reply `messageID` carries in ids the channel echoes back (80 bits, lower-case
    /// base32): stable across attempts and gateways, unguessable without the key.
    public func messageTag(_ messageID: Int64) -> String {
        Base32.crockford(mac("message-tag:\(messageID)"), symbols: 16).lowercased()
    }
}

/// Crockford's base32: digits and letters without I, L, O and U, so a person reading one aloud or
/// typing it from paper does not confuse symbols.
enum Base32 {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// The first `symbols` symbols of `bytes`, five bits each, most significant bit first.
    static func crockford(_ bytes: [UInt8], symbols: Int) -> String {
        precondition(symbols * 5 <= bytes.count * 8)
        var out: [UInt8] = []
        out.reserveCapacity(symbols)
        for i in 0..<symbols {
            var value = 0
            for bit in 0..<5 {
                let position = i * 5 + bit
                value = value << 1 | Int(bytes[position / 8] >> (7 - position % 8) & 1)
            }
            out.append(alphabet[value])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A symbol as a person may have written it: lower case, `O` for zero, `I`/`L` for one.
    static func normalize(_ byte: UInt8) -> UInt8? {
        let upper = (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
        switch upper {
        case UInt8(ascii: "O"): return UInt8(ascii: "0")
        case UInt8(ascii: "I"), UInt8(ascii: "L"): return UInt8(ascii: "1")
        case UInt8(ascii: "U"): return nil
        default: return alphabet.contains(upper) ? upper : nil
        }
    }
}
