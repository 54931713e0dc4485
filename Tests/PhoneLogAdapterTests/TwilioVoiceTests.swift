import Foundation
import PhoneLogAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

@Suite("Twilio Voice status callbacks")
struct TwilioVoiceTests {
    static let token = "acceptance_voice_token_0001"
    static let publicURL = "https://sb.example.com"

    static func adapter() throws -> PhoneLogAdapter {
        let (adapter, problems) = try phoneAdapter(
            [
                ("format", scalar("twilio-voice")), ("account_sid", scalar("ACACCEPTANCE0000000000000000000001")),
                ("auth_token_env", scalar("TWILIO_TOKEN")),
            ], env: ["TWILIO_TOKEN": token], publicURL: publicURL, id: "voice")
        #expect(problems.isEmpty)
        return adapter
    }

    /// The request as Twilio makes it: signed over the public URL and the sorted parameters.
    static func signed(_ body: [UInt8], signature: String? = nil) -> InboundRequest {
        let sig = signature ?? TwilioSignature.compute(url: publicURL + "/hooks/voice", params: FormEncoding.parse(body), authToken: token)
        return post(body, type: "application/x-www-form-urlencoded", path: "/hooks/voice", headers: [("X-Twilio-Signature", sig)])
    }

    static func callback(_ name: String) async throws -> InboundBatch {
        try await adapter().receiveRecords(signed(try Corpus.file("phone/twilio_voice/" + name)))
    }

    @Test func onlyTheFinalStatusMakesTheCall() async throws {
        for name in [
            "01_incoming_call_webhook.form", "02_status_callback_seq0_initiated.form", "02_status_callback_seq1_ringing.form",
            "02_status_callback_seq2_in-progress.form",
        ] {
            let batch = try await Self.callback(name)
            #expect(batch.events.isEmpty, "\(name)")
            #expect(batch.skipped.count == 1 && batch.skipped[0].reason.contains("recorded when it ends"), "\(name)")
        }
        let completed = try #require(try await Self.callback("02_status_callback_seq3_completed.form").messages.first)
        #expect(completed.externalID == "CAACCEPTANCE0000000000000000000001")
        #expect(completed.from == ChannelIdentity(channel: "phone", address: "+12025550143"))
        #expect(completed.customerName == "ANA LOPEZ")
        #expect(completed.kind == .contact && !completed.requestsCallback)
        #expect(completed.text == "Call from +12025550143 to +15005550006 answered, 3m 7s")
        #expect(completed.metadata["duration"] == "187")
        #expect(completed.metadata["disposition"] == "answered")
        #expect(completed.metadata["pbx_status"] == "completed")
        // Timestamp is the end of the call; it lasted 187 s.
        #expect(completed.sentAt == ISO8601DateFormatter().date(from: "2024-06-10T06:13:29Z"))
    }

    @Test func missedInboundCallAsksForACallback() async throws {
        let missed = try #require(try await Self.callback("04_status_callback_no_answer.form").messages.first)
        #expect(missed.requestsCallback)
        #expect(missed.text == "Missed call from +12025550143 to +15005550006 (no answer)")
        #expect(missed.externalID == "CAACCEPTANCE0000000000000000000001", "the same call as its other callbacks: stored once")
    }

    @Test func childLegsAndRecordingCallbacksAreAnsweredButNotStored() async throws {
        let child = try await Self.callback("03_status_callback_child_leg_busy.form")
        #expect(child.events.isEmpty)
        #expect(child.skipped.first?.reason.contains("child leg CAACCEPTANCE0000000000000000000002") == true)
        let recording = try await Self.callback("05_recording_status_callback.form")
        #expect(recording.events.isEmpty)
        #expect(recording.skipped.first?.reason.contains("REACCEPTANCE0000000000000000000001") == true)
        #expect(recording.skipped.allSatisfy { !$0.malformed })
        // Through `receive` they are an empty 2xx, as Twilio expects.
        guard
            case .events(let events) = try await Self.adapter().receive(
                Self.signed(try Corpus.file("phone/twilio_voice/05_recording_status_callback.form")))
        else {
            Issue.record("expected events")
            return
        }
        #expect(events.isEmpty)
    }

    @Test func outboundCallsAreActivityWithTheirRecording() async throws {
        let body = FormEncoding.encode([
            ("AccountSid", "ACACCEPTANCE0000000000000000000001"), ("CallSid", "CAOUT0001"), ("From", "+15005550006"),
            ("To", "+34600123456"), ("Direction", "outbound-api"), ("CallStatus", "completed"), ("CallDuration", "65"),
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"),
        ])
        let call = try #require(try await Self.adapter().receiveRecords(Self.signed(body)).messages.first)
        #expect(call.kind == .activity)
        #expect(!call.requestsCallback)
        #expect(call.from.address == "+34600123456")
        #expect(call.text == "Call to +34600123456 from +15005550006, answered, 1m 5s")
        #expect(call.metadata["recording_url"] == "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")
        #expect(call.attachments.map(\.kind) == ["audio"])
    }

    @Test func badOrMissingSignatureIs401() async throws {
        let body = try Corpus.file("phone/twilio_voice/04_status_callback_no_answer.form")
        let adapter = try Self.adapter()
        let forged = TwilioSignature.compute(url: Self.publicURL + "/hooks/voice", params: FormEncoding.parse(body), authToken: "wrong")
        for request in [Self.signed(body, signature: forged), post(body, type: "application/x-www-form-urlencoded", path: "/hooks/voice")] {
            do {
                _ = try await adapter.receiveRecords(request)
                Issue.record("accepted an unsigned callback")
            } catch let error as InboundError {
                #expect(error.status == 401)
            }
        }
        // Signed for another hook: the URL is part of what Twilio signs.
        let elsewhere = TwilioSignature.compute(url: Self.publicURL + "/hooks/other", params: FormEncoding.parse(body), authToken: Self.token)
        await #expect(throws: InboundError.self) { _ = try await adapter.receiveRecords(Self.signed(body, signature: elsewhere)) }
    }

    @Test func configNeedsTheAccountAndToken() throws {
        let (_, problems) = try phoneAdapter([("format", scalar("twilio-voice"))])
        #expect(problems.contains { $0.contains("auth_token_env") })
        #expect(problems.contains { $0.contains("account_sid") })
    }
}
