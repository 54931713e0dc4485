import Foundation

/// The canonical encoding of a row: a one-line JSON array, values in the header's column order.
/// Integers as decimal, reals in Swift's shortest round-trip form (non-finite ones as the strings
/// `"NaN"`, `"Infinity"`, `"-Infinity"`), text as JSON strings (only `"`, `\` and control
/// characters escaped), blobs as base64 strings. Checksums are taken over this encoding, so the
/// same rows give the same bytes whichever engine they were read from.
public enum TransferRowCodec {
    public static func encode(_ row: [TransferValue]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(128)
        for (index, value) in row.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            switch value {
            case .null: out.append(contentsOf: Array("null".utf8))
            case .integer(let n): out.append(contentsOf: Array(String(n).utf8))
            case .real(let d):
                if d.isNaN {
                    appendString("NaN", to: &out)
                } else if d.isInfinite {
                    appendString(d < 0 ? "-Infinity" : "Infinity", to: &out)
                } else {
                    out.append(contentsOf: Array(d.description.utf8))
                }
            case .text(let s): appendString(s, to: &out)
            case .blob(let data): appendString(data.base64EncodedString(), to: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Parses one row line against `columns`; the reason on failure names the column.
    public static func decode(_ line: ArraySlice<UInt8>, columns: [TransferColumn]) throws(RowDecodeError) -> [TransferValue] {
        var parser = FlatArrayParser(bytes: line)
        let tokens = try parser.parse()
        guard tokens.count == columns.count else {
            throw RowDecodeError("\(tokens.count) values for \(columns.count) columns")
        }
        var row: [TransferValue] = []
        row.reserveCapacity(columns.count)
        for (token, column) in zip(tokens, columns) {
            switch (token, column.type) {
            case (.null, _): row.append(.null)
            case (.number(let text), .integer):
                guard let n = Int64(text) else { throw RowDecodeError("column \(column.name): \(text) is not an integer") }
                row.append(.integer(n))
            case (.number(let text), .real):
                guard let d = Double(text) else { throw RowDecodeError("column \(column.name): \(text) is not a number") }
                row.append(.real(d))
            case (.string(let text), .real) where ["NaN", "Infinity", "-Infinity"].contains(text):
                row.append(.real(text == "NaN" ? .nan : text == "Infinity" ? .infinity : -.infinity))
            case (.string(let text), .text): row.append(.text(text))
            case (.string(let text), .blob):
                guard let data = Data(base64Encoded: text) else { throw RowDecodeError("column \(column.name): not base64") }
                row.append(.blob(data))
            default:
                throw RowDecodeError("column \(column.name): a \(column.type.rawValue) was expected")
            }
        }
        return row
    }
}

/// A row line that could not be read.
public struct RowDecodeError: Error, Sendable {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension TransferValue {
    /// This value in `kind`, where that loses nothing (an integral real as an integer, an integer as
    /// a real, a number as text…); nil where it would.
    public func coerced(to kind: TransferKind) -> TransferValue? {
        switch (self, kind) {
        case (.null, _), (.integer, .integer), (.real, .real), (.text, .text), (.blob, .blob): return self
        case (.integer(let n), .real): return .real(Double(n))
        case (.real(let d), .integer):
            guard d.rounded() == d, let n = Int64(exactly: d) else { return nil }
            return .integer(n)
        case (.text(let s), .integer): return Int64(s).map(TransferValue.integer)
        case (.text(let s), .real): return Double(s).map(TransferValue.real)
        case (.integer(let n), .text): return .text(String(n))
        case (.real(let d), .text): return .text(d.description)
        case (.blob(let data), .text): return String(data: data, encoding: .utf8).map(TransferValue.text)
        case (.text(let s), .blob): return .blob(Data(s.utf8))
        default: return nil
        }
    }

    var shortDescription: String {
        switch self {
        case .null: return "NULL"
        case .integer(let n): return String(n)
        case .real(let d): return d.description
        case .text(let s): return "'\(s.prefix(40))'"
        case .blob(let d): return "\(d.count)-byte blob"
        }
    }
}

/// Parses a JSON array of scalars (null, numbers, strings) — the only shape a row line has.
struct FlatArrayParser {
    enum Token: Equatable {
        case null
        case number(String)
        case string(String)
    }

    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    mutating func parse() throws(RowDecodeError) -> [Token] {
        skipSpace()
        try expect(UInt8(ascii: "["))
        var tokens: [Token] = []
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                skipSpace()
                tokens.append(try value())
                skipSpace()
                guard let next = peek() else { throw RowDecodeError("the row line ends early") }
                index += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { throw RowDecodeError("unexpected character in the row") }
            }
        }
        skipSpace()
        guard index == bytes.endIndex else { throw RowDecodeError("text after the row") }
        return tokens
    }

    private func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x09 || b == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(RowDecodeError) {
        guard peek() == byte else { throw RowDecodeError("a row must be a JSON array") }
        index += 1
    }

    private mutating func value() throws(RowDecodeError) -> Token {
        guard let first = peek() else { throw RowDecodeError("the row line ends early") }
        if first == UInt8(ascii: "\"") { return .string(try string()) }
        if first == UInt8(ascii: "n") {
            guard bytes[index...].starts(with: Array("null".utf8)) else { throw RowDecodeError("unknown value") }
            index += 4
            return .null
        }
        let start = index
        while let b = peek(),
            b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        {
            index += 1
        }
        guard index > start else { throw RowDecodeError("unknown value") }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func string() throws(RowDecodeError) -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw RowDecodeError("unterminated string") }
            index += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                continue
            }
            guard let escape = peek() else { throw RowDecodeError("unterminated string") }
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard bytes[index...].starts(with: Array("\\u".utf8)) else { throw RowDecodeError("lone surrogate") }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw RowDecodeError("lone surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw RowDecodeError("bad \\u escape") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: throw RowDecodeError("bad escape in a string")
            }
        }
        guard let string = String(bytes: out, encoding: .utf8) else { throw RowDecodeError("text is not UTF-8") }
        return string
    }

    private mutating func hex4() throws(RowDecodeError) -> UInt32 {
        guard index + 4 <= bytes.endIndex, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw RowDecodeError("bad \\u escape")
        }
        index += 4
        return value
    }
}
