import Foundation
import SwitchboardAdapterAPI

/// Typed field access for reading protocol messages.
extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] } else { return nil }
    }

    var stringValue: String? {
        if case .string(let s) = self { return s } else { return nil }
    }

    var int64Value: Int64? {
        switch self {
        case .integer(let i): i
        case .number(let d) where d == d.rounded() && abs(d) < 9e15: Int64(d)
        case .string(let s): Int64(s)
        default: nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        case .string(let s): Double(s)
        default: nil
        }
    }

    /// `true`/`false`; also 1/0, since Foundation's JSON parser on Linux hands booleans over as
    /// numbers, which `JSONValue` then reads as integers.
    var boolValue: Bool? {
        switch self {
        case .bool(let b): b
        case .integer(1): true
        case .integer(0): false
        default: nil
        }
    }

    var isNull: Bool {
        if case .null = self { return true } else { return false }
    }

    /// One line of the protocol: compact JSON (a newline inside a string is escaped, so the line
    /// never breaks).
    var line: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}
