// Small text helpers of the Meta adapters (internal: they never leak into other modules).

extension Character {
    /// `0`…`9` only: WhatsApp ids and phone numbers are ASCII digits, and `isNumber` alone would
    /// accept other scripts' digits and fractions.
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    /// Nil when empty, for optional fields that must not be stored as "".
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Dictionary where Key == String, Value == String {
    /// Nil when empty, for the optional `details` of an attachment.
    var nilIfEmpty: [String: String]? { isEmpty ? nil : self }
}
