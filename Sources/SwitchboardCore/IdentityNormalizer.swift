import Foundation
import SwitchboardAdapterAPI

/// Normalizes channel addresses so that the same person is found whichever adapter they use:
/// e-mail addresses are case-folded, phone numbers become E.164.
public struct IdentityNormalizer: Sendable {
    /// Country calling code assumed for national numbers (no leading `+` or `00`); nil keeps them as digits.
    public var defaultCountryCode: String?

    public init(defaultCountryCode: String? = nil) {
        self.defaultCountryCode = defaultCountryCode
    }

    public func normalize(_ identity: ChannelIdentity) -> ChannelIdentity {
        let address = identity.address.trimmed
        switch identity.channel {
        case "email":
            return ChannelIdentity(channel: "email", address: address.lowercased())
        case "phone":
            return ChannelIdentity(channel: "phone", address: e164(address) ?? address)
        default:
            return ChannelIdentity(channel: identity.channel, address: address)
        }
    }

    /// `+34 600-123-456`, `0034600123456`, `whatsapp:+34600123456` → `+34600123456`.
    public func e164(_ raw: String) -> String? {
        var text = raw
        if let colon = text.firstIndex(of: ":") { text = String(text[text.index(after: colon)...]) }
        let plus = text.trimmed.hasPrefix("+")
        var digits = text.filter(\.isASCIIDigit)
        guard digits.count >= 3 else { return nil }
        if plus { return "+" + digits }
        if digits.hasPrefix("00") {
            digits.removeFirst(2)
            return "+" + digits
        }
        // WhatsApp ids are international numbers without the plus.
        if digits.count >= 11, defaultCountryCode == nil { return "+" + digits }
        if let cc = defaultCountryCode {
            if digits.hasPrefix("0") { digits.removeFirst() }
            return "+" + cc + digits
        }
        return digits
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
