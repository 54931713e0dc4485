import Foundation
import SwitchboardAdapterAPI
import Testing
import TwilioAdapter

/// Form bodies that stalled the Twilio decoder (reproduced with the FuzzTwilio harness, `Fuzz/`:
/// a libFuzzer timeout), kept as fixtures.
@Suite struct TwilioCrashRegressionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz/FuzzTwilio")

    /// `NumMedia=9223372036854775807` made the media loop count to it, holding a thread for ever.
    @Test(.timeLimit(.minutes(1)))
    func aNumMediaBeyondTheParametersIsNotCountedTo() async throws {
        let body = Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("num-media-beyond-the-parameters.form")))
        let messages = try await TwilioAdapterTests.post(body).messages
        #expect(messages.count == 1)
        #expect(messages.first?.text == "photo")
        #expect(messages.first?.attachments.map(\.platformID) == ["ME0001"])
    }
}
