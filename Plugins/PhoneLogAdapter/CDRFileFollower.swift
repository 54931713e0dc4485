import Foundation

/// Reads a CDR file that a PBX keeps appending to, the way `tail -F` does: each read returns only
/// what was added since the last one, in complete lines (a last line without its newline is still
/// being written); a file truncated in place (`copytruncate`) is read again from the top, and a
/// file rotated away (renamed, then re-created) is finished before the new one is started.
///
/// Used by the `phone-log` adapter's `watch:` and by `switchboard import-cdr`.
public struct CDRFileFollower {
    /// Rows read from the file.
    public struct Chunk: Sendable {
        /// Complete rows, without the file's header row.
        public var rows: [UInt8]
        /// The line in the file of the first row.
        public var firstLine: Int
        /// The file's header row (`src,dst,…`, with its newline) when it names the columns: decode
        /// `header + rows` so a self-detecting layout reads them by name.
        public var header: [UInt8]?
        /// Where `rows` start in the file, and its size when read (progress reports).
        public var offset: Int
        public var fileSize: Int
        /// Set on the first chunk after the file was truncated or rotated: it starts again at line 1.
        public var startedOver: Bool

        /// What to hand the decoder.
        public var body: [UInt8] { (header ?? []) + rows }
    }

    public let path: String
    private let decoder: AsteriskCDRDecoder
    /// At most this much is read at once, so a large file is taken in slices.
    private let sliceBytes: Int

    private var handle: FileHandle?
    private var identity: FileIdentity?
    private var offset: UInt64 = 0
    private var line = 1
    private var header: [UInt8]?
    /// The end of the complete lines at the previous read: a call whose rows were still arriving
    /// then is held back until the file stops growing past it (see ``read(untilEnd:)``).
    private var seenEnd: UInt64 = 0
    private var startedOver = false

    public init(path: String, decoder: AsteriskCDRDecoder, sliceBytes: Int = 4 << 20) {
        self.path = path
        self.decoder = decoder
        self.sliceBytes = max(sliceBytes, 1024)
    }

    /// The next rows, or nil when there is nothing new yet. Throws when the file cannot be read.
    ///
    /// A call that rang several phones leaves several rows, written one after the other; rows of one
    /// call split over two reads would make the second part a duplicate of the first. So while the
    /// file grows, the rows of its last call wait for the next read; once it stopped growing they
    /// are returned. `untilEnd` (a finished file, `import-cdr` without `--follow`) returns
    /// everything, the last line even without its newline.
    public mutating func read(untilEnd: Bool = false) throws -> Chunk? {
        if handle == nil { try open() }
        guard let handle else { return nil }

        var finishing = untilEnd
        if let now = FileIdentity(path: path), now != identity {
            // Rotated: what the old file still holds is its last rows; the new one comes next.
            finishing = true
        }
        let size = try handle.seekToEnd()
        if size < offset {
            // Truncated in place: read it again from the top (stored calls are not stored twice).
            restart()
        }
        try handle.seek(toOffset: offset)
        let data = Array(try handle.read(upToCount: sliceBytes) ?? Data())
        let sliced = offset + UInt64(data.count) < size

        if data.isEmpty {
            if finishing, !untilEnd { switchToNewFile() }
            return nil
        }
        var end = data.count
        if !(finishing && !sliced) {
            end = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? (sliced ? data.count : 0)
        }
        var start = 0
        if line == 1, end > 0, let headerEnd = headerRow(in: data[..<end]) {
            if decoder.layout == .auto { header = Array(data[..<headerEnd]) }
            start = headerEnd
            line = 2
        }
        // Growth anywhere, a partial line too, may be the rest of the last call.
        let reached = offset + UInt64(data.count)
        if !finishing, reached > seenEnd {
            end = max(start, startOfLastCall(data, from: start, to: end))
        }
        seenEnd = reached
        var chunk: Chunk?
        if end > start {
            chunk = Chunk(
                rows: Array(data[start..<end]), firstLine: line, header: header, offset: Int(offset) + start, fileSize: Int(size),
                startedOver: startedOver)
            startedOver = false
            line += data[start..<end].count { $0 == UInt8(ascii: "\n") }
        }
        offset += UInt64(end)
        if finishing, !sliced, !untilEnd { switchToNewFile() }
        return chunk
    }

    private mutating func open() throws {
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        handle = opened
        identity = FileIdentity(path: path)
    }

    private mutating func restart() {
        offset = 0
        line = 1
        header = nil
        seenEnd = 0
        startedOver = true
    }

    private mutating func switchToNewFile() {
        try? handle?.close()
        handle = nil
        identity = nil
        restart()
    }

    /// The end of the first line when it is a header row.
    private func headerRow(in data: ArraySlice<UInt8>) -> Int? {
        let lineEnd = data.firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? data.endIndex
        guard let first = CSVReader(Array(data[..<lineEnd]), multilineFields: false).records().first,
            first.problem == nil, AsteriskLayout.header(first.fields) != nil
        else { return nil }
        return lineEnd
    }

    /// Where the rows of the call on the last line of `data[from..<to]` begin.
    private func startOfLastCall(_ data: [UInt8], from: Int, to: Int) -> Int {
        var lineStart = to
        var key: String?
        while lineStart > from {
            var previous = lineStart - 1
            while previous > from, data[previous - 1] != UInt8(ascii: "\n") { previous -= 1 }
            guard let record = CSVReader(Array(data[previous..<lineStart]), multilineFields: false).records().first,
                let rowKey = decoder.callKey(of: record)
            else { return lineStart }
            if let key, key != rowKey { return lineStart }
            key = rowKey
            lineStart = previous
        }
        return lineStart
    }
}

/// Which file a path names now: a rotated file keeps its inode, and the new file at the path gets another.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
