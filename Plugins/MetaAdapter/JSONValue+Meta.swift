import SwitchboardAdapterAPI

// Small readers for webhook documents. Meta adds fields over time and omits empty ones, so every
// accessor answers "absent" instead of failing: a missing list is an empty list.
extension JSONValue {
    /// The member `key` of an object; nil for anything else.
    func field(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The items of an array; empty for anything else.
    var items: [JSONValue] {
        if case .array(let list) = self { return list }
        return []
    }

    /// The member `key` as text (numbers and booleans included), nil when absent or empty.
    func string(_ key: String) -> String? {
        guard let text = field(key)?.text, !text.isEmpty else { return nil }
        return text
    }

    /// Whether the member `key` is JSON `true` (Meta sends flags as booleans, omitted when false).
    /// On Linux `JSONValue.parse` reads `true` as the integer 1 (Foundation's boolean NSNumber is
    /// not a Swift `Bool` there), so that counts too.
    func flag(_ key: String) -> Bool {
        switch field(key) {
        case .bool(true)?, .integer(1)?: return true
        case .string(let s)?: return s == "true"
        default: return false
        }
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// The scalar members of an object as text, for `Attachment.details` of kinds we do not know
    /// field by field, so that nothing the customer sent is lost.
    var scalarFields: [String: String] {
        guard case .object(let members) = self else { return [:] }
        var out: [String: String] = [:]
        for (key, value) in members {
            if let text = value.text, !text.isEmpty { out[key] = text }
        }
        return out
    }
}
