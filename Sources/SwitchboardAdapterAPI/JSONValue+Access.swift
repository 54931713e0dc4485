/// Small readers over decoded platform documents, shared by the adapters.
extension JSONValue {
    /// The member `key` of an object; nil for anything else.
    public subscript(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Whole numbers however they were written (platform ids exceed 2^31; some arrive as strings).
    public var int64Value: Int64? {
        switch self {
        case .integer(let i): i
        case .number(let d): Int64(exactly: d)
        case .string(let s): Int64(s.trimmed)
        default: nil
        }
    }

    /// JSON `true`/`false`, or the strings "true"/"false" some platforms send.
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): b
        case .string("true"): true
        case .string("false"): false
        default: nil
        }
    }

    /// A non-empty string or number as text.
    public var nonEmptyText: String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
