import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig
import Testing
import WebhookAdapter

/// Configuration files that crashed the loader (found with the FuzzConfig harness, `Fuzz/`), kept as
/// fixtures: each is now refused with the problem's line, like any other mistake.
@Suite struct ConfigCrashRegressionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz/FuzzConfig")

    let env: @Sendable (String) -> String? = { ["TOKEN_A": "token-aaaa-1-0123456789abcdef0123456789", "HOOK": "s3cret"][$0] }

    func problems(_ name: String) throws -> [String] {
        let context = AdapterContext(
            logger: Logger(label: "test"), transport: ClosureTransport { _ in HTTPResponse(status: 200) }, publicURL: "", environment: env)
        do {
            _ = try ConfigLoader.load(
                path: Self.fixtures.appendingPathComponent(name).path, factories: [WebhookAdapterFactory()], context: context, environment: env)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aDurationBeyondInt64MillisecondsIsAProblemNotACrash() throws {
        let found = try problems("duration-beyond-int64.yaml")
        #expect(
            found.contains {
                $0.hasSuffix(
                    "duration-beyond-int64.yaml:8: routing.first_response: '9999999999999999s' is not a duration (use e.g. 250ms, 5s, 30m, 24h, 1h30m)"
                )
            })
        let summed = try problems("durations-adding-up-beyond-int64.yaml")
        #expect(summed.contains { $0.contains(":7: routing.first_response:") && $0.contains("is not a duration") })
    }

    @Test func aSizeBeyondIntIsAProblemNotACrash() throws {
        let found = try problems("size-beyond-int.yaml")
        #expect(found.contains { $0.hasSuffix("size-beyond-int.yaml:2: server.max_body: '99999999999999m' is not a size (e.g. 512k, 1m, 25m)") })
    }

    @Test func durationsInRangeReadAsBefore() {
        #expect(DurationParser.parse("1h30m") == .seconds(5400))
        #expect(DurationParser.parse("250ms") == .milliseconds(250))
        #expect(DurationParser.parse("1.5s") == .milliseconds(1500))
        #expect(DurationParser.parse("2d") == .seconds(172_800))
        #expect(DurationParser.parse("30000y") == nil)
        #expect(DurationParser.parse(String(repeating: "9", count: 400)) == nil)
        #expect(DurationParser.parse("300000000000s") == .seconds(300_000_000_000))
    }
}
