import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes lines to the process's stdin in order, off the caller's thread: a process that stops
/// reading fills the pipe, and the blocked `write` must hold up nobody but this queue.
final class LineWriter: Sendable {
    private struct State {
        var backlog = 0
        var closed = false
    }

    private let handle: FileHandle
    private let queue: DispatchQueue
    private let state = Mutex(State())
    private let maxBacklog: Int
    /// Called once when the backlog exceeds `maxBacklog`: the process is not reading.
    private let onStuck: @Sendable () -> Void

    init(handle: FileHandle, name: String, maxBacklog: Int, onStuck: @escaping @Sendable () -> Void) {
        self.handle = handle
        self.queue = DispatchQueue(label: name)
        self.maxBacklog = maxBacklog
        self.onStuck = onStuck
    }

    /// Queues `line` (without its newline). False when the pipe is closed or broken.
    @discardableResult
    func send(_ line: [UInt8]) -> Bool {
        let bytes = line + [UInt8(ascii: "\n")]
        let size = bytes.count
        let (accepted, stuck) = state.withLock { s -> (Bool, Bool) in
            guard !s.closed else { return (false, false) }
            s.backlog += size
            return (true, s.backlog > maxBacklog && s.backlog - size <= maxBacklog)
        }
        guard accepted else { return false }
        if stuck { onStuck() }
        queue.async { [self] in
            let ok = state.withLock { !$0.closed } && writeAll(bytes)
            state.withLock { s in
                s.backlog -= size
                if !ok { s.closed = true }
            }
        }
        return true
    }

    /// Closes stdin after what is queued (the process reads EOF: time to finish and exit). On the
    /// queue, so the descriptor is never closed under a write in progress, and through the
    /// `FileHandle`, which would otherwise close it again (perhaps reused by then) when freed.
    func close() {
        queue.async { [self] in
            state.withLock { $0.closed = true }
            try? handle.close()
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        let fd = handle.fileDescriptor
        return bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false  // EPIPE: the process is gone; SIGPIPE is ignored (see ChildProcess)
                }
                offset += n
            }
            return true
        }
    }
}
