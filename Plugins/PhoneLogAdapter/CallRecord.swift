import Foundation
import SwitchboardAdapterAPI

/// Which way a call went, as the source said it (Twilio, a JSON field); CDRs leave it to the numbers.
public enum CallDirection: String, Sendable, Equatable {
    case inbound, outbound, `internal`

    /// `inbound`, `incoming`, `in`; `outbound`, `outbound-api`, `outbound-dial`, `outgoing`, `out`;
    /// `internal`, `local`. Nil for anything else.
    init?(word: String) {
        switch word.trimmed.lowercased() {
        case "inbound", "incoming", "in": self = .inbound
        case "outbound", "outbound-api", "outbound-dial", "outgoing", "out": self = .outbound
        case "internal", "local", "intern": self = .internal
        default: return nil
        }
    }
}

/// One call as any source describes it, before it is told apart as a customer's call or not.
public struct CallRecord: Sendable, Equatable {
    public var callID: String
    /// The calling number as the source wrote it.
    public var caller: String
    public var callerName: String?
    /// The number called as the source wrote it.
    public var called: String
    public var startedAt: Date?
    /// Seconds from the start to the hang-up.
    public var duration: Int?
    /// Seconds talked.
    public var billsec: Int?
    public var outcome: CallOutcome
    /// The status word as the source wrote it (`NO ANSWER`, `USER_BUSY`, `no-answer`).
    public var status: String
    public var direction: CallDirection?
    public var recordingURL: String?
    /// The extension (or agent) that answered, when known.
    public var agent: String?
    /// How many CDR rows (legs of a ring group) were merged into this call.
    public var legs: Int

    public init(
        callID: String, caller: String, callerName: String? = nil, called: String, startedAt: Date? = nil,
        duration: Int? = nil, billsec: Int? = nil, outcome: CallOutcome, status: String, direction: CallDirection? = nil,
        recordingURL: String? = nil, agent: String? = nil, legs: Int = 1
    ) {
        self.callID = callID
        self.caller = caller
        self.callerName = callerName
        self.called = called
        self.startedAt = startedAt
        self.duration = duration
        self.billsec = billsec
        self.outcome = outcome
        self.status = status
        self.direction = direction
        self.recordingURL = recordingURL
        self.agent = agent
        self.legs = legs
    }
}

/// What a call record means for the customer service: a customer's call, an agent's call to a
/// customer, or nothing of ours.
public enum CallMeaning: Sendable {
    case message(InboundMessage)
    /// Not a customer's call, with the reason reported to the sender and a short code for the
    /// metrics (`internal_call`, `anonymous_caller`, `no_number_called`).
    case skipped(String, code: String)
}

extension CallRecord {
    /// Decides whose call this is and writes it as a message.
    ///
    /// - An outside caller makes an inbound call: a `.contact` from the caller; unanswered, it
    ///   asks for a callback.
    /// - An extension calling an outside number is an agent's call: `.activity` in the customer's thread.
    /// - Extension to extension, and withheld caller ids, concern no customer we could identify or
    ///   call back, so they are skipped with the reason (a withheld number would otherwise merge every
    ///   anonymous caller into one "customer").
    public func meaning(plan: PhoneNumberPlan) -> CallMeaning {
        let from = plan.classify(caller)
        let to = plan.classify(called)
        let inbound: Bool
        switch (direction, from, to) {
        case (.internal?, _, _):
            return .skipped("internal call from \(caller) to \(called)", code: "internal_call")
        case (.inbound?, _, _), (nil, .external, _), (nil, .anonymous, _):
            inbound = true
        case (.outbound?, _, _), (nil, .internal, _):
            inbound = false
        }
        let customer = inbound ? from : to
        let other = inbound ? to : from
        switch customer {
        case .anonymous:
            return inbound
                ? .skipped("anonymous caller (withheld number '\(caller)'): nobody to identify or call back", code: "anonymous_caller")
                : .skipped("no number called by \(caller) ('\(called)')", code: "no_number_called")
        case .internal(let ext):
            return .skipped(
                "internal call from \(Self.display(from, raw: caller)) to \(Self.display(to, raw: called))"
                    + (inbound && direction == .inbound ? " (caller \(ext) is an extension)" : ""), code: "internal_call")
        case .external(let number):
            // On an agent's call the agent is the extension that dialled.
            var extensionOfAgent = agent
            if !inbound, case .internal(let ext) = from { extensionOfAgent = ext }
            return .message(
                message(
                    customer: number, inbound: inbound, other: Self.display(other, raw: inbound ? called : caller),
                    agent: extensionOfAgent))
        }
    }

    private static func display(_ party: PhoneNumberPlan.Party, raw: String) -> String {
        switch party {
        case .external(let n), .internal(let n): n
        case .anonymous: raw.isEmpty ? "an unknown number" : raw
        }
    }

    private func message(customer: String, inbound: Bool, other: String, agent: String?) -> InboundMessage {
        let answered = outcome == .answered
        let talk = (billsec ?? (answered ? duration : nil)).map(Self.spoken)
        let text: String
        if inbound {
            text =
                answered
                ? "Call from \(customer) to \(other) answered" + (agent.map { " by \($0)" } ?? "") + (talk.map { ", \($0)" } ?? "")
                : "Missed call from \(customer) to \(other) (\(outcome.missedPhrase))"
        } else {
            text =
                answered
                ? "Call to \(customer) from \(agent ?? other), answered" + (talk.map { ", \($0)" } ?? "")
                : "Unanswered call to \(customer) from \(agent ?? other) (\(outcome.missedPhrase))"
        }
        var metadata: [String: String] = [
            "call_id": callID, "caller": inbound ? customer : other, "called": inbound ? other : customer,
            "disposition": outcome.rawValue, "direction": inbound ? "inbound" : "outbound",
        ]
        if status != outcome.rawValue { metadata["pbx_status"] = status }
        metadata["started_at"] = startedAt.map { $0.formatted(.iso8601) }
        metadata["duration"] = duration.map(String.init)
        metadata["billsec"] = billsec.map(String.init)
        metadata["recording_url"] = recordingURL
        metadata["agent_extension"] = agent
        if legs > 1 { metadata["legs"] = String(legs) }
        let name = inbound ? callerName.flatMap { Self.personName($0, number: caller) } : nil
        metadata["caller_name"] = name
        return InboundMessage(
            externalID: callID, from: ChannelIdentity(channel: "phone", address: customer), customerName: name,
            text: text, sentAt: startedAt, metadata: metadata,
            attachments: recordingURL.map { [Attachment(kind: "audio", url: $0, details: ["source": "call recording"])] } ?? [],
            kind: inbound ? .contact : .activity,
            requestsCallback: inbound && !answered)
    }

    /// A caller-id name worth showing: not empty, not the number again, not a PBX placeholder.
    static func personName(_ raw: String, number: String) -> String? {
        let name = raw.trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard !name.isEmpty, name != number, !PhoneNumberPlan.anonymousWords.contains(name.lowercased()),
            name.contains(where: \.isLetter), name.lowercased() != "outbound call"
        else { return nil }
        return name
    }

    /// `4m 12s`, `1h 02m`, `35s`.
    static func spoken(_ seconds: Int) -> String {
        if seconds >= 3600 { return "\(seconds / 3600)h " + String(format: "%02dm", seconds % 3600 / 60) }
        if seconds >= 60 { return "\(seconds / 60)m \(seconds % 60)s" }
        return "\(seconds)s"
    }
}
