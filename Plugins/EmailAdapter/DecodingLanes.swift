import Dispatch
import Foundation
import SwitchboardAdapterAPI
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where mail is decoded: a few threads of its own at a lower scheduling priority, not the
/// gateway's cooperative threads.
///
/// Decoding is CPU work in C (GMime) that cannot yield. On the cooperative pool (one thread per
/// core) two large mails would hold every thread, and webhooks, the agent API and the group commit
/// would wait behind them. Here they run beside the rest of the gateway, which the OS scheduler
/// prefers (the lanes are `nice` 10 on Linux), and at most one fewer lane than there are cores
/// decode at once, so a flood of mail always leaves a core to the other channels. The lanes are
/// shared by every e-mail adapter of the process, like NIO's event loops.
final class DecodingLanes: Sendable {
    static let shared = DecodingLanes()

    private let lanes: [Lane]
    private let next = Atomic<UInt>(0)

    init(width: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1), niceness: Int32 = 10) {
        // Thread names are cut to 15 bytes on Linux (what `top -H` shows).
        lanes = (0..<max(1, width)).map { Lane(name: "sb-mail-\($0)", niceness: niceness) }
    }

    /// Runs `work` on the next lane (in turn) and returns what it made.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws(InboundError) -> T) async throws(InboundError) -> T {
        let lane = lanes[Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(lanes.count))]
        let result: Result<T, InboundError> = await withCheckedContinuation { continuation in
            lane.submit { continuation.resume(returning: Result { () throws(InboundError) in try work() }) }
        }
        return try result.get()
    }

    /// One thread running its jobs in order. It lives as long as the process.
    private final class Lane: Sendable {
        private struct Queue {
            var jobs: [@Sendable () -> Void] = []
            var head = 0
        }

        private let queue = Mutex(Queue())
        private let ready = DispatchSemaphore(value: 0)

        init(name: String, niceness: Int32) {
            let thread = Thread { [self] in
                // Named from inside: on Linux a thread otherwise keeps its creator's name.
                Thread.current.name = name
                #if os(Linux)
                // Per thread on Linux (NPTL): only this lane yields to the rest of the gateway.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
                #endif
                while true {
                    ready.wait()
                    take()()
                }
            }
            thread.start()
        }

        func submit(_ job: @escaping @Sendable () -> Void) {
            queue.withLock { $0.jobs.append(job) }
            ready.signal()
        }

        /// The oldest job; the array is compacted now and then, so a long queue costs linear time.
        private func take() -> @Sendable () -> Void {
            queue.withLock { queue in
                let job = queue.jobs[queue.head]
                queue.head += 1
                if queue.head > 64, queue.head * 2 > queue.jobs.count {
                    queue.jobs.removeFirst(queue.head)
                    queue.head = 0
                }
                return job
            }
        }
    }
}
