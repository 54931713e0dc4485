import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a pipe on a thread of its own and hands out complete lines, in chunks of whatever one
/// `read` brought (so a burst of inbound messages can be stored in one commit).
///
/// A dedicated thread, not the cooperative pool: a blocking `read` there could starve the gateway,
/// and a process that stops writing must cost nothing but this thread.
package final class LineReader: Sendable {
    /// Set once the process has exited: if a grandchild still holds the pipe open, EOF would never
    /// come, so the reader stops at the next quiet moment instead.
    private let stopRequested = Atomic<Bool>(false)

    /// Starts reading `handle`, closing it at the end. Lines longer than `maxLine` bytes are
    /// dropped and reported through `onOverlong`.
    package static func start(
        handle: FileHandle, name: String, maxLine: Int, onOverlong: @escaping @Sendable () -> Void = {}
    ) -> (reader: LineReader, lines: AsyncStream<[[UInt8]]>) {
        let reader = LineReader()
        let (stream, continuation) = AsyncStream.makeStream(of: [[UInt8]].self)
        let thread = Thread {
            reader.loop(fd: handle.fileDescriptor, maxLine: maxLine, onOverlong: onOverlong) { continuation.yield($0) }
            try? handle.close()
            continuation.finish()
        }
        thread.name = name
        thread.start()
        return (reader, stream)
    }

    func stop() { stopRequested.store(true, ordering: .relaxed) }

    private func loop(fd: Int32, maxLine: Int, onOverlong: () -> Void, emit: ([[UInt8]]) -> Void) {
        var pending: [UInt8] = []
        var discarding = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 200)
            if ready == 0 {
                if stopRequested.load(ordering: .relaxed) { break }
                continue
            }
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                break
            }
            if count == 0 { break }
            var lines: [[UInt8]] = []
            var start = 0
            while start < count {
                let end = buffer[start..<count].firstIndex(of: UInt8(ascii: "\n"))
                if !discarding {
                    pending.append(contentsOf: buffer[start..<(end ?? count)])
                    if pending.count > maxLine {
                        // A runaway line must not grow without bound; the rest of it is dropped.
                        pending.removeAll()
                        discarding = true
                        onOverlong()
                    }
                }
                guard let end else { break }
                if !discarding { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
                discarding = false
                start = end + 1
            }
            if !lines.isEmpty { emit(lines) }
        }
        if !pending.isEmpty, !discarding { emit([pending]) }
    }
}
