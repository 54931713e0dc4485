import SwitchboardAdapterAPI

/// How a call ended, in the few words every PBX's vocabulary maps to.
public enum CallOutcome: String, Sendable, Equatable {
    case answered
    case noAnswer = "no-answer"
    case busy
    case failed
    case congestion
    /// The caller hung up before anyone answered (an abandoned call).
    case canceled

    /// Reads Asterisk dispositions (`NO ANSWER`), Twilio statuses (`no-answer`), FreeSWITCH hangup
    /// causes (`USER_BUSY`) and plain words. A disposition is final, but a hangup cause says how a
    /// call ended, not whether it was answered, so for those `billsec` decides. Nil: not a status at
    /// all (a shifted column, say).
    public static func parse(_ raw: String, billsec: Int?) -> CallOutcome? {
        let text = raw.trimmed
        guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0 == " " || $0 == "_" || $0 == "-" }) else { return nil }
        let word = text.uppercased().replacingOccurrences(of: "-", with: " ")
        switch word {
        case "ANSWERED", "ANSWER", "COMPLETED", "COMPLETE": return .answered
        case "NO ANSWER", "NOANSWER", "MISSED", "UNANSWERED": return .noAnswer
        case "BUSY": return .busy
        case "CONGESTION": return .congestion
        case "CANCELED", "CANCELLED", "ABANDONED": return .canceled
        case "FAILED", "FAIL": return .failed
        default: break
        }
        if let billsec, billsec > 0 { return .answered }
        switch word.replacingOccurrences(of: "_", with: " ") {
        case "NO ANSWER", "NO USER RESPONSE", "ALLOTTED TIMEOUT", "RECOVERY ON TIMER EXPIRE", "PROGRESS TIMEOUT": return .noAnswer
        case "USER BUSY", "CALL REJECTED": return .busy
        case "NORMAL CIRCUIT CONGESTION", "SWITCH CONGESTION": return .congestion
        case "ORIGINATOR CANCEL", "LOSE RACE": return .canceled
        default: return .failed
        }
    }

    /// The words a missed call's line ends with: "(no answer)".
    var missedPhrase: String {
        switch self {
        case .answered: "answered"
        case .noAnswer: "no answer"
        case .busy: "busy"
        case .failed: "failed"
        case .congestion: "network congestion"
        case .canceled: "caller hung up before an answer"
        }
    }
}
