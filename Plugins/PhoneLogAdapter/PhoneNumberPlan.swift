import SwitchboardAdapterAPI

/// How this line's numbers are written, so a caller becomes the same `phone` identity (E.164) as on
/// SMS or WhatsApp, and internal extensions are told apart from customers.
public struct PhoneNumberPlan: Sendable, Equatable {
    /// What a number on a call record turned out to be.
    public enum Party: Sendable, Equatable {
        /// An outside number, in E.164 when it could be made out (else its digits as written).
        case external(String)
        /// An extension, queue or dialplan name of our own PBX (`1001`, `client1`, `s`).
        case `internal`(String)
        /// A withheld or unknown caller id: nobody to identify or call back.
        case anonymous
    }

    /// The country calling code for national numbers (`34`, `1`); nil leaves them as written.
    public var countryCode: String?
    /// The national trunk prefix dropped before the country code is added (`0`, `8` in Russia).
    public var trunkPrefix: String
    /// All-digit numbers this long or shorter are extensions of the PBX.
    public var maxExtensionLength: Int

    public init(countryCode: String? = nil, trunkPrefix: String? = nil, maxExtensionLength: Int = 5) {
        self.countryCode = countryCode
        self.trunkPrefix = trunkPrefix ?? countryCode.map(Self.defaultTrunkPrefix) ?? "0"
        self.maxExtensionLength = maxExtensionLength
    }

    /// Most countries dial `0` before a national number; these do not (the leading 0 of Italian
    /// numbers is part of the number), NANP dials `1`, Russia and Kazakhstan `8`.
    static func defaultTrunkPrefix(_ countryCode: String) -> String {
        switch countryCode {
        case "1": "1"
        case "7": "8"
        case "34", "39", "351", "30", "45", "47", "298", "299", "354", "376", "377", "378", "352", "420", "421", "372", "371", "356":
            ""
        default: "0"
        }
    }

    /// Caller ids PBXs and carriers write when the number is withheld; Twilio's is `+266696687`.
    static let anonymousWords: Set<String> = [
        "", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld", "blocked", "unknown caller",
        "+266696687", "266696687",
    ]

    /// Classifies one number as a call record wrote it (`sip:600123456@host`, `"Ana" <600123456>`
    /// are read too).
    public func classify(_ raw: String) -> Party {
        let address = Self.address(raw)
        if Self.anonymousWords.contains(address.lowercased()) { return .anonymous }
        let digits = address.filter { $0.isASCII && $0.isNumber }
        let plus = address.hasPrefix("+")
        let dialable = address.allSatisfy { ($0.isASCII && $0.isNumber) || " +-().".contains($0) }
        guard dialable, !digits.isEmpty else {
            // Names (`client1`, `ch1`, `s`), SIP users and `*98`-style feature codes stay inside the PBX.
            return address.contains(where: \.isLetter) || address.contains(where: \.isNumber)
                ? .internal(address) : .anonymous
        }
        if !plus, digits.count <= maxExtensionLength { return .internal(digits) }
        return .external(e164(digits: digits, plus: plus))
    }

    /// The E.164 form of an outside number; national numbers need `country_code`.
    public func e164(_ raw: String) -> String? {
        if case .external(let number) = classify(raw), number.hasPrefix("+") { return number }
        return nil
    }

    private func e164(digits: String, plus: Bool) -> String {
        if plus { return "+" + digits }
        // The international access prefix: `00` in most of the world, `011` in NANP, `810` in Russia.
        let access =
            switch countryCode {
            case "1": ["011", "00"]
            case "7": ["810", "00"]
            default: ["00"]
            }
        for prefix in access where digits.hasPrefix(prefix) {
            return "+" + digits.dropFirst(prefix.count)
        }
        guard let countryCode else {
            // The same rule as the core's: 11+ digits are taken as international (WhatsApp writes
            // them so); shorter national numbers stay digits until `country_code` is set.
            return digits.count >= 11 ? "+" + digits : digits
        }
        if !trunkPrefix.isEmpty, digits.hasPrefix(trunkPrefix) {
            return "+" + countryCode + digits.dropFirst(trunkPrefix.count)
        }
        // Already international, only without `+`: longer than any national number of the plan.
        if digits.hasPrefix(countryCode), digits.count >= 11 { return "+" + digits }
        return "+" + countryCode + digits
    }

    /// The number itself out of the ways call records decorate it.
    static func address(_ raw: String) -> String {
        var text = raw.trimmed
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            text = String(text[text.index(after: open)..<close]).trimmed
        }
        for scheme in ["sip:", "sips:", "tel:", "client:"] where text.lowercased().hasPrefix(scheme) {
            text = String(text.dropFirst(scheme.count))
            if scheme == "client:" { return text.isEmpty ? text : "client:" + text }
        }
        if let at = text.firstIndex(of: "@") { text = String(text[..<at]) }
        if let semicolon = text.firstIndex(of: ";") { text = String(text[..<semicolon]) }
        return text.trimmed
    }
}
