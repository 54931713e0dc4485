import SwitchboardAdapterAPI
import Synchronization

/// A transport whose every answer is the one set last: the fuzzer's bytes as a platform's HTTP
/// answer to a delivery. libFuzzer runs one input at a time, so one answer at a time is enough.
public final class ScriptedTransport: HTTPTransport {
    private let answer = Mutex(HTTPResponse(status: 200))

    public init() {}

    public func set(_ response: HTTPResponse) {
        answer.withLock { $0 = response }
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        answer.withLock { $0 }
    }
}

extension HTTPResponse {
    /// Reads `STATUS\nName: value\n…\n\nBODY`: the status line's digits (200 without), header
    /// lines up to the first empty line, then the body as it is. Any bytes make some answer.
    public static func fuzzed(_ bytes: [UInt8]) -> HTTPResponse {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
        let statusLine = String(decoding: lines.removeFirst(), as: UTF8.self)
        var rest = lines.first ?? []
        var headers: [(name: String, value: String)] = []
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            let line = rest[rest.startIndex..<end]
            rest = end == rest.endIndex ? [] : rest[(end + 1)...]
            if line.isEmpty { break }
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: ":", maxSplits: 1)
            headers.append((String(parts.first ?? ""), parts.count > 1 ? String(parts[1]).trimmed : ""))
        }
        let status = Int(statusLine.trimmed.prefix(3)) ?? 200
        return HTTPResponse(status: status, headers: headers, body: Array(rest))
    }
}
