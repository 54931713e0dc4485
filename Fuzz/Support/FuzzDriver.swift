import CLibFuzzer
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bridge between libFuzzer and a target's `LLVMFuzzerTestOneInput`.
///
/// SwiftPM gives every executable a `main` of its own (the top-level code of `main.swift`), so
/// libFuzzer's `main` is never linked in: the target calls ``run(_:)`` from its top-level code
/// instead, which hands the command line to libFuzzer's driver and exits with its status.
public enum FuzzDriver {
    /// Runs libFuzzer with the process's arguments (`-max_total_time=20 CORPUS…`) and exits.
    public static func run(_ testOneInput: LLVMFuzzerCallback) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }

    /// The bytes libFuzzer passed, copied (decoders take `[UInt8]`).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Runs async work to completion from libFuzzer's synchronous callback. The task starts on
    /// the callback's thread and, as decoders do not suspend, usually ends there too: then it is
    /// also freed before the callback returns, so libFuzzer's leak check (run when an input's
    /// mallocs and frees differ) is not set off by a task still being torn down elsewhere.
    public static func blocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = ResultBox<T>()
        Task.immediate {
            box.value = await work()
            box.done.signal()
        }
        box.done.wait()
        return box.value!
    }
}

/// The semaphore orders the write before the read, so the box needs no lock.
private final class ResultBox<T>: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var value: T?
}
