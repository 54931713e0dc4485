import Crypto
import Foundation

/// The first line of a dump: what it holds and how to check it.
///
/// A dump is JSON Lines: this header, then per table a marker line `{"table":"NAME"}` followed by
/// its rows (``TransferRowCodec``), tables in dependency order, and a last line `{"end":true}`
/// (a file without it was cut short). `sha256` is taken over the table's row lines, each with its
/// newline, exactly as written.
public struct TransferHeader: Codable, Sendable, Equatable {
    public static let formatName = "switchboard-dump"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// The engine the rows were read from.
    public var source: String
    /// The source's schema migrations (names differ per engine; informative).
    public var migrations: [String]
    public var createdAt: String
    public var tables: [Table]

    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var columns: [TransferColumn]
        public var orderBy: [String]
        public var rows: Int
        public var sha256: String
    }

    public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }
}

/// Running count and SHA-256 of one table's canonical row lines.
struct TableDigest {
    private var hasher = SHA256()
    private(set) var rows = 0

    mutating func add(_ line: [UInt8]) {
        hasher.update(data: line)
        hasher.update(data: [0x0A])
        rows += 1
    }

    func hex() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Appends to a file through a buffer.
final class DumpFileWriter {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var bytesWritten = 0

    init(path: String) throws(TransferError) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw TransferError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    func writeLine(_ bytes: [UInt8]) throws(TransferError) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ data: Data) throws(TransferError) {
        try flush()
        do { try handle.write(contentsOf: data) } catch { throw TransferError.cannotWrite(path: path, reason: "\(error)") }
        bytesWritten += data.count
    }

    func flush() throws(TransferError) {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch { throw TransferError.cannotWrite(path: path, reason: "\(error)") }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs to disk and closes.
    func close() throws(TransferError) {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch { throw TransferError.cannotWrite(path: path, reason: "\(error)") }
    }
}

/// Reads a file line by line through a buffer, never the whole file.
final class DumpLineReader {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// The number of the line last returned (1-based).
    private(set) var lineNumber = 0

    init(path: String) throws(TransferError) {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TransferError.cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The next line without its newline; nil at the end of the file.
    func next() throws(TransferError) -> ArraySlice<UInt8>? {
        var scanned = start
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                start = newline + 1
                lineNumber += 1
                return line
            }
            scanned = buffer.count
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                scanned -= start
                start = 0
            }
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { throw TransferError.cannotRead(path: path, reason: "\(error)") }
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEnd = true }
        }
    }
}

/// The marker lines between tables.
struct DumpMarker: Codable {
    var table: String?
    var end: Bool?

    static func line(table: String) -> [UInt8] {
        var out = Array("{\"table\":".utf8)
        TransferRowCodec.appendString(table, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static let endLine = Array("{\"end\":true}".utf8)
}

extension JSONEncoder {
    static var dumpHeader: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    static var dumpHeader: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
