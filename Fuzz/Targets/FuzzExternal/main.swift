import Foundation
import SwitchboardAdapterAPI
import SwitchboardFuzzSupport

@testable import ExternalAdapter

// The external-adapter line protocol: what an adapter process writes on its stdout, split into
// lines by the gateway's reader (with its line-length cap) and decoded line by line (`hello`,
// `inbound`, `status`, `delivered`, `failed`, `response`, `log`); a `response` is then turned into
// the hook's answer as the gateway does. The process runs other people's code against other
// people's platforms: nothing it writes may bring the gateway down.

enum Reader {
    /// Small enough that the fuzzer reaches the reader's overlong-line path.
    static let maxLine = 4096
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let output = Data(FuzzDriver.bytes(data, size))
    let pipe = Pipe()
    let (_, chunks) = LineReader.start(handle: pipe.fileHandleForReading, name: "fuzz.stdout", maxLine: Reader.maxLine)
    pipe.fileHandleForWriting.write(output)
    try? pipe.fileHandleForWriting.close()
    _ = FuzzDriver.blocking {
        var handled = 0
        for await chunk in chunks {
            for line in chunk where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                guard let message = try? AdapterMessage.decode(line, identity: "fuzz") else { continue }
                if case .response(_, let json) = message {
                    _ = try? HookResponse.result(json, identity: "fuzz")
                }
                handled += 1
            }
        }
        return handled
    }
    return 0
}

FuzzDriver.run(testOneInput)
