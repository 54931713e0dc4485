/// RFC 4180 CSV as PBXs and spreadsheets write it: fields quoted or not, `""` inside quotes,
/// commas and line breaks inside quotes, CRLF or LF. Every record keeps the line it starts on, so a
/// bad row can be named by its line in the file.
public struct CSVReader: Sendable {
    /// One record: its fields, and where it starts and ends in the text (1-based lines).
    public struct Record: Sendable, Equatable {
        public var fields: [String]
        public var line: Int
        public var lastLine: Int
        /// Which fields were quoted: Asterisk quotes strings and leaves integers bare.
        public var quoted: [Bool]
        /// Set when the record could not be read (an unterminated quote); `fields` is then empty.
        public var problem: String?
    }

    private let bytes: [UInt8]
    /// Whether a quoted field may span lines. Call records never hold a line break, so for them a
    /// quote still open at the end of a line is an error there, not the start of a long field that
    /// would swallow the good rows below it.
    private let multilineFields: Bool

    public init(_ bytes: [UInt8], multilineFields: Bool = true) {
        self.bytes = bytes
        self.multilineFields = multilineFields
    }

    /// Every non-blank record, in order. An opening quote that never closes would swallow the rest
    /// of the file, so that record is reported on its own line and reading resumes on the next one.
    public func records() -> [Record] {
        var out: [Record] = []
        var index = 0
        var line = 1
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < bytes.count {
            let startLine = line
            switch readRecord(from: index, line: line) {
            case .record(let fields, let quoted, let next, let nextLine, let lastLine):
                if !(fields.count == 1 && fields[0].isEmpty && !quoted[0]) {
                    out.append(Record(fields: fields, line: startLine, lastLine: lastLine, quoted: quoted))
                }
                index = next
                line = nextLine
            case .unterminated:
                out.append(
                    Record(
                        fields: [], line: startLine, lastLine: startLine, quoted: [],
                        problem: "a quoted field opened on this line never closes"))
                let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                index = end + 1
                line += 1
            }
        }
        return out
    }

    private enum Step {
        case record([String], [Bool], next: Int, nextLine: Int, lastLine: Int)
        case unterminated
    }

    private func readRecord(from start: Int, line startLine: Int) -> Step {
        var fields: [String] = []
        var quoted: [Bool] = []
        var field: [UInt8] = []
        var isQuoted = false
        var inQuotes = false
        var i = start
        var line = startLine
        func finishField() {
            fields.append(String(decoding: field, as: UTF8.self))
            quoted.append(isQuoted)
            field.removeAll(keepingCapacity: true)
            isQuoted = false
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if b == UInt8(ascii: "\n") {
                        guard multilineFields else { return .unterminated }
                        line += 1
                    }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: ","):
                finishField()
            case UInt8(ascii: "\""):
                // A quote opens a quoted field only at its start; elsewhere it is an ordinary
                // character (spreadsheets write `5" floppy`).
                if field.isEmpty && !isQuoted {
                    isQuoted = true
                    inQuotes = true
                } else {
                    field.append(b)
                }
            case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                finishField()
                return .record(fields, quoted, next: i + 2, nextLine: line + 1, lastLine: line)
            case UInt8(ascii: "\n"):
                finishField()
                return .record(fields, quoted, next: i + 1, nextLine: line + 1, lastLine: line)
            default:
                field.append(b)
            }
            i += 1
        }
        if inQuotes { return .unterminated }
        finishField()
        return .record(fields, quoted, next: i, nextLine: line + 1, lastLine: line)
    }
}
