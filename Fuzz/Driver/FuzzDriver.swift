import CLibFuzzer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bridge between libFuzzer and a target's `LLVMFuzzerTestOneInput`.
///
/// SwiftPM gives every executable a `main` of its own (the top-level code of `main.swift`), so
/// libFuzzer's `main` is never linked in: the target calls ``run(_:)`` from its top-level code
/// instead, which hands the command line to libFuzzer's driver and exits with its status. What a
/// target does with an input is its harness's (`Fuzz/Harness`, built and seed-tested with the rest).
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
}
