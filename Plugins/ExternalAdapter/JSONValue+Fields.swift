import Foundation
import SwitchboardAdapterAPI

/// Typed field access for reading protocol messages (member, integer and boolean access come from
/// `SwitchboardAdapterAPI`).
extension JSONValue {
    var stringValue: String? {
        if case .string(let s) = self { return s } else { return nil }
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        case .string(let s): Double(s)
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
