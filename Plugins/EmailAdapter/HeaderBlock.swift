import Foundation
import SwitchboardAdapterAPI

/// The header block of a raw message made safe for GMime, in one pass over its lines: wrapped
/// lines repaired, overlong fields cut, an absurd block refused. The body is passed through as it is.
///
/// The limits are what mail servers apply, so mail an MTA delivered is kept: Postfix discards what
/// a field holds beyond `header_size_limit` (100 KiB) and delivers the rest, and Exim refuses a
/// header block over `header_maxsize` (1 MiB) outright. A hostile field (a `References` of 30,000
/// ids) then costs what 100 KiB costs, whatever size the message is.
enum HeaderBlock {
    /// Postfix's `header_size_limit`: what one field (with its continuation lines) may hold.
    static let maxFieldBytes = 100 * 1024
    /// Exim's `header_maxsize`: the whole header block, after overlong fields were cut.
    static let maxBlockBytes = 1024 * 1024

    struct Prepared {
        var bytes: [UInt8]
        /// Lower-cased names of the fields that were cut, each once, in order.
        var truncated: [String]
    }

    /// `message` (from its first header line on) ready for GMime, or `.malformed` when the header
    /// block is larger than ``maxBlockBytes`` even with every field cut to ``maxFieldBytes``.
    static func prepare(_ message: ArraySlice<UInt8>) throws(InboundError) -> Prepared {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 16)
        var truncated: [String] = []
        // On the raw buffer with memchr: this runs over every byte of every message, and a debug
        // build (what the test suites run) would otherwise spend most of a large mail's time here.
        let walked = message.withUnsafeBufferPointer { buffer in
            Result { () throws(InboundError) in try headerLines(buffer, into: &output, truncated: &truncated) }
        }
        if let bodyStart = try walked.get() { output.append(contentsOf: message[(message.startIndex + bodyStart)...]) }
        return Prepared(bytes: output, truncated: truncated)
    }

    /// Copies the header block of `buffer` into `output` (repaired, fields cut); returns where the
    /// blank line after it starts, or nil when the message is all header.
    private static func headerLines(
        _ buffer: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], truncated: inout [String]
    ) throws(InboundError) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        var fieldStart = output.count
        var lineStart = 0
        while lineStart < buffer.count {
            let newline =
                memchr(base + lineStart, 10, buffer.count - lineStart)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? buffer.count
            let line = UnsafeBufferPointer(rebasing: buffer[lineStart..<newline])
            if line.isEmpty || (line.count == 1 && line[0] == 13) {
                try finishField(&output, from: fieldStart, truncated: &truncated)
                return lineStart
            }
            let continuation = line[0] == 32 || line[0] == 9
            if lineStart != 0, !continuation, !ByteScan.isHeaderLine(line) {
                // Some relays wrap long headers without indenting (Zammad's mail054: a `boundary=`
                // parameter on a line of its own); GMime would end the header block there and lose
                // everything after it, including From and the MIME structure.
                output.append(32)
            } else if !continuation {
                try finishField(&output, from: fieldStart, truncated: &truncated)
                fieldStart = output.count
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[lineStart..<min(buffer.count, newline + 1)]))
            lineStart = newline + 1
        }
        try finishField(&output, from: fieldStart, truncated: &truncated)
        return nil
    }

    /// Cuts the field that starts at `start` (and runs to the end of `output`) when it is too
    /// long, then checks the block so far.
    private static func finishField(_ output: inout [UInt8], from start: Int, truncated: inout [String]) throws(InboundError) {
        if output.count - start > maxFieldBytes {
            let field = Array(output[start...])
            output.removeSubrange(start...)
            let (name, cut) = shortened(field)
            output += cut
            if !truncated.contains(name) { truncated.append(name) }
        }
        guard output.count <= maxBlockBytes else {
            throw .malformed("the message's header block is larger than \(maxBlockBytes / 1024) KiB, more than mail servers accept")
        }
    }

    /// The field's name and the field cut to ``maxFieldBytes`` at a blank, so no address or id is
    /// cut in half. `References` and `In-Reply-To` keep their end (the newest ids, which thread
    /// the message); every other field keeps its start.
    static func shortened(_ field: [UInt8]) -> (name: String, field: [UInt8]) {
        let colon = field.firstIndex(of: UInt8(ascii: ":")) ?? 0
        let name = String(decoding: field[..<colon], as: UTF8.self).trimmed.lowercased()
        let lineEnd: [UInt8] = field.last != 10 ? [] : field.dropLast().last == 13 ? [13, 10] : [10]
        let value = field[(colon + 1)..<(field.count - lineEnd.count)]
        let budget = max(0, maxFieldBytes - (colon + 2) - lineEnd.count)
        var kept: ArraySlice<UInt8>
        if name == "references" || name == "in-reply-to" {
            var from = value.endIndex - budget
            while from < value.endIndex, !isBlank(value[from]) { from += 1 }
            kept = value[from...]
        } else {
            let limit = value.startIndex + budget
            var to = limit
            while to > value.startIndex, !isBlank(value[to]) { to -= 1 }
            kept = value[..<(to == value.startIndex ? limit : to)]
        }
        // No blank line may come of a fold at either end: it would end the header block.
        while let first = kept.first, isBlank(first) { kept = kept.dropFirst() }
        while let last = kept.last, isBlank(last) { kept = kept.dropLast() }
        return (name, Array(field[...colon]) + [32] + kept + lineEnd)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 32 || byte == 9 || byte == 13 || byte == 10
    }
}
