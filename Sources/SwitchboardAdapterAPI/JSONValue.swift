import Foundation

/// A decoded JSON document, for adapters that map fields by JSON pointer.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    /// Integers kept exactly (platform ids exceed 2^53). A whole number beyond 64 bits is parsed
    /// as `.string` of its exact digits, so two different ids never become one.
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .integer(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses bytes; the error message is fit to show the sender. Uses `JSONSerialization`, which
    /// is several times faster here than decoding this enum through `JSONDecoder`.
    public static func parse(_ bytes: [UInt8]) throws(InboundError) -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw .malformed("body is not valid JSON\(detail.map { ": \($0)" } ?? "")")
        }
        return JSONValue(foundation: object)
    }

    /// Converts what `JSONSerialization` returns.
    init(foundation object: Any) {
        switch object {
        case let s as String: self = .string(s)
        case let o as [String: Any]: self = .object(o.mapValues(JSONValue.init(foundation:)))
        case let a as [Any]: self = .array(a.map(JSONValue.init(foundation:)))
        case let n as NSDecimalNumber:
            // Foundation's answer for numbers beyond 64 bits (and long fractions). A whole number
            // below 10^38 was read digit for digit, so its digits are kept exactly; anything longer
            // may have lost digits and stays a (lossy) `.number`, which is never taken as an id.
            self = Self.exactDigits(n.decimalValue).map(JSONValue.string) ?? .number(n.doubleValue)
        case let n as NSNumber:
            // Foundation gives every JSON number and boolean as NSNumber; its type code tells them
            // apart (`c` for true/false, `d` for a fraction, `Q` for an unsigned 64-bit integer,
            // signed integer codes otherwise).
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .number(n.doubleValue)
            case "Q", "L", "I", "S", "C":
                let unsigned = n.uint64Value
                self = Int64(exactly: unsigned).map(JSONValue.integer) ?? .string(String(unsigned))
            default: self = .integer(n.int64Value)
            }
        case let b as Bool: self = .bool(b)
        default: self = .null
        }
    }

    /// The decimal digits of a whole number below 10^38 (where `Decimal` holds every digit), nil
    /// for fractions and for numbers that may have lost digits.
    static func exactDigits(_ value: Decimal) -> String? {
        guard value.isFinite, value.exponent >= 0 else { return nil }
        let significantDigits = value.significand.magnitude.description.count
        guard significantDigits + Int(value.exponent) <= 38 else { return nil }
        return value.description
    }

    /// The value at an RFC 6901 pointer (`/a/b/0`), or nil.
    public subscript(pointer pointer: String) -> JSONValue? {
        JSONPointer(pointer).flatMap { self[pointer: $0] }
    }

    /// The value at a pointer parsed once, for hot paths.
    public subscript(pointer pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(token), a.indices.contains(i) else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    /// Strings as they are, numbers and booleans as text; nil for null, arrays and objects.
    public var text: String? {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): String(b)
        default: nil
        }
    }
}

/// An RFC 6901 JSON pointer, split into its reference tokens once.
public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    public let tokens: [String]
    public let description: String

    /// Nil unless `text` is empty or starts with `/`.
    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        description = text
        tokens =
            text.isEmpty
            ? []
            : text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            }
    }
}
