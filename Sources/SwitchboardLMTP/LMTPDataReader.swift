import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the message after `DATA` up to the line holding only `.`: dot-unstuffing each line,
/// taking CRLF and bare LF alike, and storing LF line ends. Past `limit` bytes it keeps reading to
/// the end (the MTA must get its `552` after the data, not a broken connection) but keeps nothing,
/// so an oversized message costs no memory.
struct LMTPDataReader {
    let limit: Int
    private(set) var message: [UInt8] = []
    private(set) var tooLarge = false
    /// The bytes of an oversized line were dropped before its end arrived: the rest of that line
    /// is no line start (it cannot be the final `.`).
    private var skippingLine = false

    init(limit: Int) {
        self.limit = limit
        message.reserveCapacity(min(limit, 64 * 1024))
    }

    /// Consumes the complete lines of `input`; true once the final `.` line was read (the bytes
    /// after it are left in `input`: pipelined commands).
    mutating func consume(_ input: inout ByteBuffer) -> Bool {
        var finished = false
        let consumed = input.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            let count = raw.count
            var start = 0
            while start < count, let found = memchr(base + start, 0x0A, count - start) {
                let lineFeed = base.distance(to: UnsafeRawPointer(found))
                var end = lineFeed
                if end > start, raw[end - 1] == 0x0D { end -= 1 }
                defer { start = lineFeed + 1 }
                if skippingLine {
                    skippingLine = false
                    continue
                }
                if end - start == 1, raw[start] == UInt8(ascii: ".") {
                    finished = true
                    start = lineFeed + 1
                    return start
                }
                let from = end > start && raw[start] == UInt8(ascii: ".") ? start + 1 : start
                append(UnsafeRawBufferPointer(rebasing: raw[from..<end]))
            }
            return start
        }
        input.moveReaderIndex(forwardBy: consumed)
        // A line still incomplete: held until its end arrives, unless the message is already too
        // large, when its bytes are dropped (kept if it might still be the final ".\r").
        if !finished, input.readableBytes > 2, tooLarge || message.count + input.readableBytes > limit {
            markTooLarge()
            input.moveReaderIndex(forwardBy: input.readableBytes)
            skippingLine = true
        }
        return finished
    }

    private mutating func append(_ line: UnsafeRawBufferPointer) {
        guard !tooLarge else { return }
        guard message.count + line.count + 1 <= limit else { return markTooLarge() }
        message.append(contentsOf: line)
        message.append(0x0A)
    }

    private mutating func markTooLarge() {
        guard !tooLarge else { return }
        tooLarge = true
        message = []
    }
}
