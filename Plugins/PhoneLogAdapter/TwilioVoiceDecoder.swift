import Foundation
import SwitchboardAdapterAPI

/// Reads Twilio Programmable Voice status callbacks. One message per call, from its final status:
///
/// - `queued`, `initiated`, `ringing`, `in-progress` (and the incoming-call webhook, `ringing`) say
///   nothing final and are skipped; `completed`, `busy`, `no-answer`, `failed`, `canceled` make the
///   call, with `CallSid` as its id, so Twilio's retries are stored once.
/// - Child legs (`ParentCallSid`: the phones a `<Dial>` rang) are skipped: the customer's
///   experience is the parent call's status, and a busy agent phone is no missed customer call.
/// - Recording status callbacks (`RecordingSid` without `CallStatus`) carry no caller, so they
///   cannot be placed in a conversation on their own and are skipped with the reason; a
///   `RecordingUrl` on the call's own callback is kept as the call's recording.
public enum TwilioVoiceDecoder {
    /// What one callback is.
    public enum Decoded: Sendable {
        case call(CallRecord)
        /// Nothing final to record, with the reason and a short code for the metrics.
        case skipped(String, code: String)
    }

    public static func decode(_ params: [(name: String, value: String)]) throws(InboundError) -> Decoded {
        var p: [String: String] = [:]
        for pair in params where p[pair.name] == nil {
            let value = pair.value.trimmed
            if !value.isEmpty { p[pair.name] = value }
        }
        guard let sid = p["CallSid"] else {
            throw .malformed("not a Twilio Voice callback: 'CallSid' is missing")
        }
        guard let status = p["CallStatus"]?.lowercased() else {
            if let recording = p["RecordingSid"] {
                return .skipped(
                    "recording \(recording) of call \(sid) (\(p["RecordingStatus"] ?? "status unknown")): "
                        + "a recording callback names no caller; send RecordingUrl with the call's status callback instead",
                    code: "recording_callback")
            }
            throw .malformed("not a Twilio Voice callback: 'CallStatus' is missing")
        }
        if let parent = p["ParentCallSid"] {
            return .skipped("child leg \(sid) of call \(parent) (\(status)): the parent call is recorded", code: "child_call_leg")
        }
        let outcome: CallOutcome
        switch status {
        case "queued", "initiated", "ringing", "in-progress", "answered":
            return .skipped("call \(sid) is \(status); it is recorded when it ends", code: "intermediate_status")
        case "completed": outcome = .answered
        case "busy": outcome = .busy
        case "no-answer": outcome = .noAnswer
        case "failed": outcome = .failed
        case "canceled": outcome = .canceled
        default: throw .malformed("'\(status)' is not a Twilio CallStatus")
        }
        let duration = p["CallDuration"].flatMap { Int($0) }
        // `Timestamp` is when the status changed, i.e. the end of a finished call.
        let endedAt = p["Timestamp"].flatMap { CallTimestamp.parse($0, timeZone: .gmt) }
        let startedAt = endedAt.map { $0.addingTimeInterval(-Double(duration ?? 0)) }
        return .call(
            CallRecord(
                callID: sid, caller: p["From"] ?? p["Caller"] ?? "", callerName: p["CallerName"],
                called: p["To"] ?? p["Called"] ?? "", startedAt: startedAt, duration: duration,
                billsec: outcome == .answered ? duration : 0, outcome: outcome, status: status,
                direction: p["Direction"].flatMap(CallDirection.init(word:)), recordingURL: p["RecordingUrl"]))
    }
}
