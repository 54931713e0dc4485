import ExternalAdapter
import Foundation
import SwitchboardAdapterAPI

/// The external-adapter line protocol: what an adapter process writes on its stdout, split into
/// lines by the gateway's reader (with its line-length cap) and decoded line by line (`hello`,
/// `inbound`, `status`, `delivered`, `failed`, `response`, `log`); a `response` is then turned into
/// the hook's answer as the gateway does. The process runs other people's code against other
/// people's platforms: nothing it writes may bring the gateway down.
public enum ExternalHarness: FuzzHarness {
    public static let target = "FuzzExternal"

    /// Small enough that the fuzzer reaches the reader's overlong-line path.
    static let maxLine = 4096

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        let pipe = Pipe()
        let (_, chunks) = LineReader.start(handle: pipe.fileHandleForReading, name: "fuzz.stdout", maxLine: maxLine)
        pipe.fileHandleForWriting.write(Data(input))
        try? pipe.fileHandleForWriting.close()
        return fuzzBlocking { () -> [FuzzOutcome] in
            var read = 0
            var decoded = 0
            for await chunk in chunks {
                for line in chunk where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                    read += 1
                    guard let message = try? AdapterMessage.decode(line, identity: "fuzz") else { continue }
                    decoded += 1
                    if case .response(_, let json) = message {
                        _ = try? HookResponse.result(json, identity: "fuzz")
                    }
                }
            }
            return [.lines(read: read, decoded: decoded)]
        }
    }
}
