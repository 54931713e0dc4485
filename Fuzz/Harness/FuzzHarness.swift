import Dispatch

/// What a fuzz target does with one input: the decoders it feeds and how it feeds them. The
/// libFuzzer executables (`Fuzz/Targets`, built by `Fuzz/run.sh`) call ``run(_:)`` for every input;
/// the normal build compiles the harnesses too, and `Tests/FuzzHarnessTests` replays every seed
/// through them, so a harness that no longer builds, or whose signing or configuration no longer
/// gets inputs past the adapter's checks, fails `swift test`.
public protocol FuzzHarness: SendableMetatype {
    /// The libFuzzer target's name (`FuzzEmail`), which names its seeds and dictionary too.
    static var target: String { get }
    /// Feeds `input` to the decoders; refusals are expected, a trap or a hang is a finding.
    static func run(_ input: [UInt8]) -> [FuzzOutcome]
}

/// What one decoder made of one input, as the gateway would act on it.
public enum FuzzOutcome: Sendable, Equatable, CustomStringConvertible {
    /// A hook request decoded into this many events.
    case events(Int)
    /// A hook request answered by the adapter itself (a handshake, a CRC check).
    case answered(status: Int)
    /// A hook request refused with this status: what most fuzzed bytes get.
    case refused(status: Int, reason: String)
    /// A delivery whose platform answer was read as a receipt.
    case delivered
    /// A delivery whose platform answer was read as a failure.
    case notDelivered(permanent: Bool)
    /// A configuration the loader accepted, or refused with its problems.
    case configuration(accepted: Bool)
    /// Lines of an adapter process's output, and how many of them decoded.
    case lines(read: Int, decoded: Int)
    /// An error that is none of the above (an adapter throwing something unexpected).
    case failed(String)

    /// The decoder took the input as meaningful: what a seed should mostly get.
    public var taken: Bool {
        switch self {
        case .events(let count): count > 0
        case .answered, .delivered: true
        case .configuration(let accepted): accepted
        case .lines(_, let decoded): decoded > 0
        case .refused, .notDelivered, .failed: false
        }
    }

    public var description: String {
        switch self {
        case .events(let count): "\(count) events"
        case .answered(let status): "answered \(status)"
        case .refused(let status, let reason): "refused \(status): \(reason)"
        case .delivered: "delivered"
        case .notDelivered(let permanent): permanent ? "not delivered (permanent)" : "not delivered"
        case .configuration(let accepted): accepted ? "configuration accepted" : "configuration refused"
        case .lines(let read, let decoded): "\(decoded) of \(read) lines decoded"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}

/// Every harness, in `Fuzz/run.sh`'s order.
public enum FuzzHarnesses {
    public static let all: [any FuzzHarness.Type] = [
        EmailHarness.self, WebhookHarness.self, MetaHarness.self, TelegramHarness.self, XHarness.self,
        TwilioHarness.self, PhoneLogHarness.self, ExternalHarness.self, ConfigHarness.self, PlatformAnswersHarness.self,
    ]
}

/// Runs async work to completion from a synchronous caller (libFuzzer's callback). The task starts
/// on the caller's thread and, as decoders do not suspend, usually ends there too: then it is also
/// freed before the callback returns, so libFuzzer's leak check (run when an input's mallocs and
/// frees differ) is not set off by a task still being torn down elsewhere. Call it from a thread
/// of one's own, never from the cooperative pool (it blocks until the work is done).
public func fuzzBlocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    Task.immediate {
        box.value = await work()
        box.done.signal()
    }
    box.done.wait()
    return box.value!
}

/// The semaphore orders the write before the read, so the box needs no lock.
private final class ResultBox<T>: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var value: T?
}
