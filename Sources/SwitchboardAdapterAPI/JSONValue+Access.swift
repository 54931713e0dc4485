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

    /// An id as the exact text the channel sent: a non-empty string as it is, or a whole number's
    /// digits (beyond 64 bits too). Nil for anything else — a fraction or a number too long to
    /// have been read exactly — so two different ids never compare equal.
    public var idText: String? {
        switch self {
        case .string(let s): s.isEmpty ? nil : s
        case .integer(let i): String(i)
        default: nil
        }
    }

    /// A whole number written as one (no fraction, no quotes) that fits 64 bits: platform ids
    /// that are numbers. Nil for anything else, so `5.0` or `"5"` are never the id 5.
    public var exactInteger: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }
}
