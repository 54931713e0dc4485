import SwitchboardAdapterAPI

// Small readers over decoded Bot API documents. Internal: each adapter keeps its own, so the
// adapter API does not grow helpers only some channels need.
extension JSONValue {
    /// The member `key` of an object; nil for anything else.
    subscript(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Whole numbers however they were written (Telegram ids exceed 2^31, chat ids are negative).
    var int64Value: Int64? {
        switch self {
        case .integer(let i): i
        case .number(let d): Int64(exactly: d)
        case .string(let s): Int64(s.trimmed)
        default: nil
        }
    }

    /// `true`/`false`. `JSONValue.parse` hands JSON booleans over as 1/0 on Linux (Foundation
    /// returns them as plain `NSNumber`s there), so those count too.
    var boolValue: Bool? {
        switch self {
        case .bool(let b): b
        case .integer(let i) where i == 0 || i == 1: i == 1
        default: nil
        }
    }

    /// A non-empty string or number as text.
    var nonEmptyText: String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
