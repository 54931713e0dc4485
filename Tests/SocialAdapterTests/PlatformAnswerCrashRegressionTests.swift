import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import Testing
import XAdapter

/// Platform answers to a delivery that crashed the gateway (reproduced with the FuzzPlatformAnswers
/// harness, `Fuzz/`), kept as fixtures in the harness's format: `STATUS\nName: value\n…\n\nBODY`.
@Suite struct PlatformAnswerCrashRegressionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz/FuzzPlatformAnswers")

    /// Every request gets the fixture's answer.
    struct FixtureTransport: HTTPTransport {
        let answer: HTTPResponse
        func send(_ request: HTTPRequest) async throws -> HTTPResponse { answer }
    }

    static func answer(_ name: String) throws -> HTTPResponse {
        let text = try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
        let parts = text.components(separatedBy: "\n\n")
        var lines = parts[0].split(separator: "\n").map(String.init)
        let status = Int(lines.removeFirst()) ?? 0
        let headers = lines.map { line in
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return (name: pair[0], value: pair[1])
        }
        return HTTPResponse(status: status, headers: headers, body: Array(parts.dropFirst().joined(separator: "\n\n").utf8))
    }

    /// `x-rate-limit-reset: 1e300` (or `nan`) trapped converting the wait to whole seconds.
    @Test(arguments: ["x-rate-limit-reset-1e300.http", "x-rate-limit-reset-nan.http"])
    func anImpossibleRateLimitResetLeavesTheWaitToTheOutbox(_ fixture: String) async throws {
        let adapter = XAdapter(
            id: "x", settings: XSettings(apiBase: "https://api.x.com", userID: "2975699229", consumerSecret: "s", accessToken: "t"),
            transport: FixtureTransport(answer: try Self.answer(fixture)))
        let failure = try #require(
            await deliveryFailure {
                try await adapter.deliver(OutboundMessage(id: 1, conversationID: 1, to: "1205290247124217856", text: "On it!"))
            })
        #expect(!failure.permanent)
        #expect(failure.retryAfter == nil)
    }

    /// A `Retry-After` date with non-ASCII text after it trapped inside Foundation's `DateFormatter`
    /// ("Incorrect range CFRange"): the Graph API's answer took the gateway down with the reply.
    @Test func aRetryAfterDateWithNonASCIITextIsIgnored() async throws {
        let adapter = MetaTestKit.whatsApp(transport: FixtureTransport(answer: try Self.answer("meta-retry-after-non-ascii.http")))
        let failure = try #require(
            await deliveryFailure { try await adapter.deliver(OutboundMessage(id: 1, conversationID: 1, to: "34600111222", text: "On it!")) })
        #expect(!failure.permanent)
        #expect(failure.retryAfter == nil)
    }
}
