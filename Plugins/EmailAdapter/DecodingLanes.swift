import Dispatch
import Foundation
import Synchronization
import SwitchboardAdapterAPI

/// Where mail is decoded: a few serial queues of its own, not the gateway's cooperative threads.
///
/// Decoding is CPU work in C (GMime) that cannot yield. On the cooperative pool (one thread per
/// core) two large mails would hold every thread, and webhooks, the agent API and the group commit
/// would wait behind them. Here they share the CPU with the rest of the gateway through the OS
/// scheduler, and at most one fewer lane than there are cores decode at once, so a flood of mail
/// always leaves a core to the other channels.
final class DecodingLanes: Sendable {
    private let lanes: [DispatchQueue]
    private let next = Atomic<UInt>(0)

    init(width: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)) {
        lanes = (0..<max(1, width)).map { DispatchQueue(label: "switchboard.email.decode.\($0)") }
    }

    /// Runs `work` on the next lane (in turn) and returns what it made.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws(InboundError) -> T) async throws(InboundError) -> T {
        let lane = lanes[Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(lanes.count))]
        let result: Result<T, InboundError> = await withCheckedContinuation { continuation in
            lane.async { continuation.resume(returning: Result { () throws(InboundError) in try work() }) }
        }
        return try result.get()
    }
}
