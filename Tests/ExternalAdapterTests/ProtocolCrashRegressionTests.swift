import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import ExternalAdapter

/// Lines an adapter process wrote that crashed the gateway (found with the FuzzExternal harness,
/// `Fuzz/`), kept as fixtures. Durations beyond Int64 milliseconds trapped while converting.
@Suite struct ProtocolCrashRegressionTests {
    static let lines: [String] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/FuzzExternal/durations-beyond-int64.jsonl")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }()

    func decode(_ line: String) throws -> AdapterMessage {
        try AdapterMessage.decode(Array(line.utf8), identity: "chan")
    }

    @Test func aFailureWithAnImpossibleWaitKeepsTheFailureAndDropsTheWait() throws {
        #expect(Self.lines.count == 6)
        for line in Self.lines.prefix(3) {
            guard case .failed(_, let failure) = try decode(line) else {
                Issue.record("not a failure: \(line)")
                continue
            }
            #expect(failure.reason == "rate limited")
            #expect(failure.retryAfter == nil)
        }
    }

    @Test func aHelloWithAnImpossibleReplyWindowIsAProtocolViolation() {
        for line in Self.lines.dropFirst(3) {
            #expect(throws: ProtocolViolation.self) { try decode(line) }
        }
    }

    @Test func waitsInRangeReadAsBefore() throws {
        guard case .failed(_, let failure) = try decode(#"{"type":"failed","id":4,"retry_after":2.5}"#) else {
            Issue.record("not a failure")
            return
        }
        #expect(failure.retryAfter == .milliseconds(2500))
        guard case .hello(let caps) = try decode(#"{"type":"hello","capabilities":{"reply_window":86400}}"#) else {
            Issue.record("not a hello")
            return
        }
        #expect(caps.replyWindow == .seconds(86400))
    }
}
